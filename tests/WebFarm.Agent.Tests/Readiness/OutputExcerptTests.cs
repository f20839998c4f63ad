using WebFarm.Agent.Readiness;

namespace WebFarm.Agent.Tests.Readiness;

public sealed class OutputExcerptTests
{
    [Fact]
    public void LongStackTraces_AreCut_SoTheExceptionMessageStaysInTheExcerpt()
    {
        string[] output =
        [
            "starting",
            "Unhandled exception. System.InvalidOperationException: ConnectionStrings:Db is not set",
            .. Enumerable.Range(1, 40).Select(i => $"   at Frame{i}()"),
            "after the trace",
        ];

        var excerpt = OutputExcerpt.Latest(output, 8);

        Assert.Equal(
            [
                "starting",
                "Unhandled exception. System.InvalidOperationException: ConnectionStrings:Db is not set",
                "   at Frame1()",
                "   at Frame2()",
                "   at Frame3()",
                "   … 37 more frame(s)",
                "after the trace",
            ],
            excerpt);
    }

    [Fact]
    public void KeepsTheLatestLines()
    {
        var excerpt = OutputExcerpt.Latest([.. Enumerable.Range(1, 30).Select(i => $"line {i}")], 3);

        Assert.Equal(["line 28", "line 29", "line 30"], excerpt);
    }
}
