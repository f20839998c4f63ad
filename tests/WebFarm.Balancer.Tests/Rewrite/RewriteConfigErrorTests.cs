using WebFarm.Balancer.Configuration;

namespace WebFarm.Balancer.Tests.Rewrite;

/// <summary>A rule that cannot be compiled is a configuration error with its JSON path and a reason naming the fix.</summary>
public sealed class RewriteConfigErrorTests
{
    public static TheoryData<string, string, string> Cases => new()
    {
        { """{"Match": "^/(unclosed", "Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Match", "is not a valid regex" },
        { """{"Match": "^/(a)\\1$", "Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Match", "linear-time regex engine" },
        { """{"Match": "^/(?=a)", "Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Match", "lookarounds" },
        { """{"Match": "^/a", "Query": "(", "Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Query", "is not a valid regex" },
        { """{"Match": "^/a", "Headers": {"X-A": "["}, "Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Headers.X-A", "is not a valid regex" },
        { """{"Rewrite": "/x"}""", "$.Routes[0].Rewrite[0].Match", "is required" },
        { """{"Match": "^/a", "Rewrit": "/x", "Redirect": "/y"}""", "$.Routes[0].Rewrite[0].Rewrit", "unknown key 'Rewrit'" },
        { """{"Match": "^/a"}""", "$.Routes[0].Rewrite[0]", "has no action" },
        { """{"Match": "^/a", "Rewrite": "/x", "Redirect": "/y"}""", "$.Routes[0].Rewrite[0]", "has both Rewrite and Redirect" },
        { """{"Match": "^/a", "Redirect": "/y", "Status": 303}""", "$.Routes[0].Rewrite[0].Status", "303 is not a redirect status" },
        { """{"Match": "^/a", "Redirect": "/y", "Status": 200}""", "$.Routes[0].Rewrite[0].Status", "use 301, 302, 307 or 308" },
        { """{"Match": "^/a", "Rewrite": "/x", "Status": 301}""", "$.Routes[0].Rewrite[0].Status", "the rule has no Redirect" },
        { """{"Match": "^/(a)", "Rewrite": "/x/$2"}""", "$.Routes[0].Rewrite[0].Rewrite", "capture $2 is out of range" },
        { """{"Match": "^/(a)", "Redirect": "/x/${id}"}""", "$.Routes[0].Rewrite[0].Redirect", "capture ${id} names no group" },
        { """{"Match": "^/(a)", "Rewrite": "/x/$"}""", "$.Routes[0].Rewrite[0].Rewrite", "must start a capture" },
        { """{"Match": "^/(a)", "Rewrite": "/x/${1"}""", "$.Routes[0].Rewrite[0].Rewrite", "has no closing" },
        { """{"Match": "^/(?<id>a)", "Query": "(?<id>b)", "Rewrite": "/${id}"}""", "$.Routes[0].Rewrite[0].Rewrite", "of both Match and Query" },
        { """{"Match": "^/a", "Rewrite": "x"}""", "$.Routes[0].Rewrite[0].Rewrite", "must be a path starting with one '/'" },
        { """{"Match": "^/a", "Rewrite": "/a b"}""", "$.Routes[0].Rewrite[0].Rewrite", "holds a space" },
        { """{"Match": "^/a", "Redirect": "//evil.example/"}""", "$.Routes[0].Rewrite[0].Redirect", "absolute http(s) URL" },
        { """{"Match": "^/a", "Redirect": "javascript:alert(1)"}""", "$.Routes[0].Rewrite[0].Redirect", "absolute http(s) URL" },
        { """{"Match": "^/a", "SetRequestHeaders": {"Host": "x"}}""", "$.Routes[0].Rewrite[0].SetRequestHeaders.Host", "written by the balancer" },
        { """{"Match": "^/a", "SetRequestHeaders": {"X A": "x"}}""", "$.Routes[0].Rewrite[0].SetRequestHeaders.X A", "not a valid header name" },
        { """{"Match": "^/a", "SetResponseHeaders": {"Transfer-Encoding": "x"}}""", "$.Routes[0].Rewrite[0].SetResponseHeaders.Transfer-Encoding", "the balancer writes it itself" },
        { """{"Match": "^/a", "RemoveRequestHeaders": ["X-Forwarded-For"]}""", "$.Routes[0].Rewrite[0].RemoveRequestHeaders[0]", "written by the balancer" },
        { """{"Match": "^/a", "SetResponseHeaders": {"X-A": "a\u0001b"}}""", "$.Routes[0].Rewrite[0].SetResponseHeaders.X-A", "is not a header value" },
        { """{"Match": "^/(a)", "SetResponseHeaders": {"X-A": "$9"}}""", "$.Routes[0].Rewrite[0].SetResponseHeaders.X-A", "capture $9 is out of range" },
        { """{"Match": "^/a", "SetQuery": {"a=b": "x"}}""", "$.Routes[0].Rewrite[0].SetQuery.a=b", "not a query parameter name" },
        { """{"Match": "^/a", "AddQuery": {"a": "x&b=y"}}""", "$.Routes[0].Rewrite[0].AddQuery.a", "holds a '&'" },
        { """{"Match": "^/a", "RemoveQuery": [""]}""", "$.Routes[0].Rewrite[0].RemoveQuery[0]", "cannot be empty" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_rule_is_reported_with_its_json_path(string rule, string path, string reason)
    {
        var json = $$"""
            {
              "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:5001" } ] } },
              "Routes": [ { "Farm": "web", "Rewrite": [ {{rule}} ] } ]
            }
            """;

        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "farm.json"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_rule_set_loads()
    {
        var config = BalancerConfigLoader.Parse("""
            {
              "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:5001" } ] } },
              "Routes": [ { "Farm": "web", "Rewrite": [
                { "Match": "^/old/(?<rest>.*)$", "Query": "(^|&)id=(?<id>[0-9]+)", "Rewrite": "/new/${rest}?item=${id}", "AppendQuery": false, "Stop": true },
                { "Match": "^/legacy/(.*)$", "Redirect": "https://www.example.com/$1", "Status": 308 },
                { "Match": ".", "Host": "^api\\.", "Headers": { "X-Beta": "" }, "SetRequestHeaders": { "X-Path": "$0" }, "RemoveResponseHeaders": [ "Server" ], "SetQuery": { "v": "2" } }
              ] } ]
            }
            """);

        var rules = Assert.Single(config.Routes).Rewrite!;
        Assert.Equal(3, rules.Count);
        Assert.Equal(308, rules[1].Status);
    }
}
