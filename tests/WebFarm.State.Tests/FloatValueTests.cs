using System.Text;
using WebFarm.State.Commands;

namespace WebFarm.State.Tests;

/// <summary>INCRBYFLOAT's number parsing and printing (Redis's rules; cases Redis itself answers are in RedisCompatibilityTests).</summary>
public sealed class FloatValueTests
{
    [Theory]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("1", "-1", "0")]
    [InlineData("-0.5", "0.5", "0")]
    [InlineData("3", "0.000000000000000001", "3")]
    [InlineData("0", "0.00000000000000001", "0.00000000000000001")]
    [InlineData("1e3", "0.5", "1000.5")]
    [InlineData("1e20", "0", "100000000000000000000")]
    [InlineData("-1.5e21", "0", "-1500000000000000000000")]
    [InlineData("3.0e-20", "0", "0")]
    [InlineData("1.5e-5", "0", "0.000015")]
    [InlineData("1e23", "0", "100000000000000000000000")]
    [InlineData("79228162514264337593543950335", "1", "79228162514264340000000000000")]
    [InlineData("5.", ".5", "5.5")]
    [InlineData("+2", "-0.25", "1.75")]
    public void Sums_print_in_fixed_notation_without_trailing_zeros(string left, string right, string expected)
    {
        Assert.True(FloatValue.TryParse(Encoding.ASCII.GetBytes(left), out var a));
        Assert.True(FloatValue.TryParse(Encoding.ASCII.GetBytes(right), out var b));
        Assert.Equal(expected, a.Add(b).Format());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1,5")]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("1e5000")]
    [InlineData("1e-5000")]
    [InlineData("abc")]
    [InlineData("1.2.3")]
    [InlineData("١")]
    public void Invalid_numbers_are_refused(string text)
        => Assert.False(FloatValue.TryParse(Encoding.UTF8.GetBytes(text), out _));

    [Theory]
    [InlineData("inf")]
    [InlineData("-Infinity")]
    [InlineData("+INF")]
    public void Infinity_parses_but_is_not_finite(string text)
    {
        Assert.True(FloatValue.TryParse(Encoding.ASCII.GetBytes(text), out var value));
        Assert.False(value.IsFinite);
    }

    [Fact]
    public void A_number_longer_than_redis_accepts_is_refused()
        => Assert.False(FloatValue.TryParse(Encoding.ASCII.GetBytes("1" + new string('0', 5200)), out _));
}
