namespace WebFarm.Agent.Readiness;

/// <summary>The part of an instance's output worth showing when it failed to start.</summary>
public static class OutputExcerpt
{
    /// <summary>Stack frames kept in a row; the rest of a long trace is summed up in one line.</summary>
    private const int FramesKept = 3;

    /// <summary>
    /// The latest <paramref name="maxLines"/> lines, with long runs of stack frames ("   at …") cut to their first
    /// few: the exception's message, above the frames, is what explains a crash, and a 40-frame trace would push it
    /// out of the excerpt.
    /// </summary>
    public static IReadOnlyList<string> Latest(IReadOnlyList<string> output, int maxLines)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        var kept = new List<string>(output.Count);
        var frames = 0;
        foreach (var line in output)
        {
            if (line.TrimStart().StartsWith("at ", StringComparison.Ordinal) && line.StartsWith(' '))
            {
                frames++;
                if (frames <= FramesKept)
                {
                    kept.Add(line);
                }
                else
                {
                    var summary = $"   … {frames - FramesKept} more frame(s)";
                    if (frames == FramesKept + 1)
                    {
                        kept.Add(summary);
                    }
                    else
                    {
                        kept[^1] = summary;
                    }
                }

                continue;
            }

            frames = 0;
            kept.Add(line);
        }

        return kept.Count <= maxLines ? kept : kept.GetRange(kept.Count - maxLines, maxLines);
    }
}
