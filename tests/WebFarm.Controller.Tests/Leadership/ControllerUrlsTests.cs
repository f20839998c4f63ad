using WebFarm.Agent.Control;

namespace WebFarm.Controller.Tests.Leadership;

/// <summary>`--controller URL[,URL…]` as the agent and the CLI read it.</summary>
public sealed class ControllerUrlsTests
{
    [Fact]
    public void A_pair_is_read_in_order_each_url_ending_in_a_slash()
        => Assert.Equal(
            [new Uri("http://10.0.0.10:8070/"), new Uri("https://ctl2.example:8443/base/")],
            ControllerUrls.Parse("http://10.0.0.10:8070, https://ctl2.example:8443/base"));

    [Theory]
    [InlineData("", "an empty URL in the list")]
    [InlineData("http://a:1,,http://b:2", "an empty URL in the list")]
    [InlineData("http://a:1,", "an empty URL in the list")]
    [InlineData("10.0.0.10:8070", "'10.0.0.10:8070' is not an http(s) URL")]
    [InlineData("http://a:1,ftp://b", "'ftp://b' is not an http(s) URL")]
    [InlineData("http://a:1,http://a:1/", "http://a:1/ is given twice")]
    public void A_bad_list_is_refused_naming_the_entry(string text, string expected)
        => Assert.Contains(expected, Assert.Throws<FormatException>(() => ControllerUrls.Parse(text)).Message);
}
