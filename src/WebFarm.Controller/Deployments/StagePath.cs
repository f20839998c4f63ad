using WebFarm.Balancer.Configuration;

namespace WebFarm.Controller.Deployments;

/// <summary>
/// The rule for a stage path (`webfarm deploy --stage --stage-path /v2`): a route's path prefix (the balancer's own
/// rule) that is not the whole site, made of plain segments, so that what it matches is obvious and the stripped path
/// the app sees is well formed.
/// </summary>
public static class StagePath
{
    /// <summary>Why <paramref name="path"/> cannot be a stage path (null when it can), e.g. "must not be '/' ...".</summary>
    public static string? Problem(string path)
    {
        if (ConfigValidator.PathPrefixProblem(path) is { } problem)
        {
            return problem;
        }

        var trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            return "is the whole site: a stage path must be a prefix such as /v2, so that the live release keeps the rest";
        }

        foreach (var segment in trimmed[1..].Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return $"has an empty, '.' or '..' segment ('{segment}'): give plain segments such as /v2 or /stage/next";
            }

            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
                {
                    return $"has '{c}' in segment '{segment}': use letters, digits, '-', '_', '.' and '~'";
                }
            }
        }

        return null;
    }
}
