using Microsoft.AspNetCore.Http;

namespace WebFarm.Balancer.Rewrite;

/// <summary>
/// A route's rules, compiled once per configuration snapshot and evaluated in order: each rule sees the path and query
/// the rules before it made; a rule with <c>Stop</c>, a redirect or a header a capture made unsafe ends the evaluation.
/// </summary>
internal sealed class RewriteRules(RewriteRule[] rules)
{
    public int Count => rules.Length;

    /// <summary>
    /// Evaluates the rules for <paramref name="context"/>; <paramref name="upstreamPath"/> is the path part the request
    /// would go upstream with unchanged (the client's, or with the route's prefix stripped).
    /// </summary>
    public RewriteOutcome Evaluate(HttpContext context, string upstreamPath)
    {
        var query = context.Request.QueryString.Value;
        var outcome = new RewriteOutcome(context.Request.Path.Value ?? "/", string.IsNullOrEmpty(query) ? string.Empty : query[1..]);
        foreach (var rule in rules)
        {
            if (rule.Apply(context, outcome) && (rule.Stop || outcome.Location is not null || outcome.UnsafeHeader is not null))
            {
                break;
            }
        }

        if (outcome.EncodedPath is not null || outcome.QueryChanged)
        {
            var path = outcome.EncodedPath ?? upstreamPath;
            outcome.Target = outcome.Query.Length == 0 ? path : path + "?" + outcome.Query;
        }

        return outcome;
    }
}
