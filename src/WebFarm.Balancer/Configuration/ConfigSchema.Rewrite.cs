using System.Text.Json;
using static WebFarm.Balancer.Configuration.ConfigValueText;

namespace WebFarm.Balancer.Configuration;

/// <summary>A route's URL rewrite rules (<c>Routes[i].Rewrite</c>), documented as "Rewrite[].*".</summary>
internal static partial class ConfigSchema
{
    public static readonly ConfigSection<RewriteRuleOptions> RewriteRule = new(
        ["Rewrite[]."],
        static () => new RewriteRuleOptions(),
        new("Match", static (r, v, p, o) => o with { Match = r.ReadString(v, p, allowNull: false)! }, static _ => null),
        new("Query", static (r, v, p, o) => o with { Query = r.ReadString(v, p, allowNull: true) }, static o => String(o.Query)),
        new("Host", static (r, v, p, o) => o with { Host = r.ReadString(v, p, allowNull: true) }, static o => String(o.Host)),
        new("Headers", static (r, v, p, o) => o with { Headers = r.ReadStringMap(v, p) }, static o => Null),
        new("IgnoreCase", static (r, v, p, o) => o with { IgnoreCase = r.ReadBool(v, p, true) }, static o => Bool(o.IgnoreCase)),
        new("Rewrite", static (r, v, p, o) => o with { Rewrite = r.ReadString(v, p, allowNull: true) }, static o => String(o.Rewrite)),
        new("Redirect", static (r, v, p, o) => o with { Redirect = r.ReadString(v, p, allowNull: true) }, static o => String(o.Redirect)),
        new("Status", static (r, v, p, o) => o with { Status = r.ReadInt(v, p, o.Status) }, static o => Int(o.Status)),
        new("AppendQuery", static (r, v, p, o) => o with { AppendQuery = r.ReadBool(v, p, true) }, static o => Bool(o.AppendQuery)),
        new("Stop", static (r, v, p, o) => o with { Stop = r.ReadBool(v, p, false) }, static o => Bool(o.Stop)),
        new("SetQuery", static (r, v, p, o) => o with { SetQuery = r.ReadStringMap(v, p) }, static o => Null),
        new("AddQuery", static (r, v, p, o) => o with { AddQuery = r.ReadStringMap(v, p) }, static o => Null),
        new("RemoveQuery", static (r, v, p, o) => o with { RemoveQuery = r.ReadStringList(v, p) }, static o => Null),
        new("SetRequestHeaders", static (r, v, p, o) => o with { SetRequestHeaders = r.ReadStringMap(v, p) }, static o => Null),
        new("RemoveRequestHeaders", static (r, v, p, o) => o with { RemoveRequestHeaders = r.ReadStringList(v, p) }, static o => Null),
        new("SetResponseHeaders", static (r, v, p, o) => o with { SetResponseHeaders = r.ReadStringMap(v, p) }, static o => Null),
        new("RemoveResponseHeaders", static (r, v, p, o) => o with { RemoveResponseHeaders = r.ReadStringList(v, p) }, static o => Null));

    /// <summary>The <c>Rewrite</c> array of a route: null when absent or null.</summary>
    private static List<RewriteRuleOptions>? ReadRewriteRules(ConfigReader reader, JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null || !reader.ExpectArray(value, path))
        {
            return null;
        }

        var rules = new List<RewriteRuleOptions>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{i++}]";
            if (reader.ExpectObject(item, itemPath))
            {
                // A missing Match is reported by the validator (RewriteRuleCompiler), with the rule's path.
                rules.Add(RewriteRule.Read(reader, item, itemPath));
            }
        }

        return rules;
    }
}
