using System.Text;
using WebFarm.Agent.Readiness;

namespace WebFarm.Agent.LocalFarm;

/// <summary>An instance of the app died (or never listened) during start-up; the message carries its last output.</summary>
public sealed class AppStartException : Exception
{
    /// <summary>Lines of the instance's output shown (the latest ones).</summary>
    public const int OutputLines = 20;

    public AppStartException(ReadinessResult result)
        : base(Describe(result ?? throw new ArgumentNullException(nameof(result))))
    {
        Result = result;
    }

    public ReadinessResult Result { get; }

    private static string Describe(ReadinessResult result)
    {
        var text = new StringBuilder(result.Outcome switch
        {
            ReadinessOutcome.Exited => $"{result.Instance} exited during start-up: {result.Reason}",
            ReadinessOutcome.NotListening => $"{result.Instance} never became reachable: {result.Reason}",
            _ => $"{result.Instance}: {result.Reason}",
        });
        var lines = OutputExcerpt.Latest(result.Output, OutputLines);
        if (lines.Count == 0)
        {
            text.Append(" (it wrote no output)");
            return text.ToString();
        }

        text.Append(Environment.NewLine).Append("its last output:");
        foreach (var line in lines)
        {
            text.Append(Environment.NewLine).Append("  | ").Append(line);
        }

        return text.ToString();
    }
}
