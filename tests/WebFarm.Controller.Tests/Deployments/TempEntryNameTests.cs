using System.Text.RegularExpressions;
using WebFarm.Controller.Deployments;

namespace WebFarm.Controller.Tests.Deployments;

/// <summary>The farm entry of a server's new instance during its swap fits the balancer's name rules for every server name.</summary>
public sealed class TempEntryNameTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(59)]
    [InlineData(60)]
    [InlineData(64)]
    public void The_entry_is_a_valid_balancer_name_distinct_from_the_server_and_from_other_long_names(int length)
    {
        var server = new string('s', length - 1) + "1";
        var other = new string('s', length - 1) + "2";
        var entry = ServerRollout.TempEntryName(server);
        // The balancer's name rule: 1-64 letters, digits, '-', '_' or '.'.
        Assert.Matches(new Regex("^[A-Za-z0-9._-]{1,64}$"), entry);
        Assert.NotEqual(server, entry);
        Assert.NotEqual(ServerRollout.TempEntryName(other), entry);
        Assert.EndsWith(".next", entry);
        if (length <= 59)
        {
            Assert.Equal(server + ".next", entry); // Unchanged where it fits.
        }
    }
}
