using System.Text;
using WebFarm.State.Commands;

namespace WebFarm.State.Tests.Commands;

/// <summary>Command lookup by name: ASCII case-insensitive, exact otherwise, short and long names alike.</summary>
public sealed class CommandTableTests
{
    private readonly CommandTable _table = new();

    [Fact]
    public void Every_command_is_found_by_its_name_in_any_ascii_case()
    {
        var random = new Random(3);
        foreach (var definition in _table.All)
        {
            var name = definition.Name;
            var mixed = new string(name.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : c).ToArray());
            foreach (var form in new[] { name, name.ToUpperInvariant(), mixed })
            {
                Assert.Same(definition, _table.Find(Encoding.ASCII.GetBytes(form)));
            }
        }
    }

    [Fact]
    public void Names_that_only_look_alike_are_not_found()
    {
        foreach (var definition in _table.All)
        {
            var name = Encoding.ASCII.GetBytes(definition.Name);
            Assert.Null(_table.Find(name.AsSpan(0, name.Length - 1)));
            Assert.Null(_table.Find([.. name, (byte)'x']));
            Assert.Null(_table.Find([.. name, 0]));

            // Changing a letter's case bit on a non-letter, or a non-ASCII byte, is not a case difference.
            var other = (byte[])name.Clone();
            other[0] ^= 0x80;
            Assert.Null(_table.Find(other));
        }

        Assert.Null(_table.Find("g\u00c9t"u8));
        Assert.Null(_table.Find("GE\u0014"u8));
        Assert.Null(_table.Find(""u8));
    }
}
