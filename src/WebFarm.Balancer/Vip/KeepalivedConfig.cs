using System.Globalization;
using System.Text;

namespace WebFarm.Balancer.Vip;

/// <summary>
/// The keepalived configuration of one node of a balancer pair: one VRRP instance holding the virtual address(es),
/// tracking the local balancer with a script. Deterministic (the same settings give the same text, so it can be
/// diffed and kept in version control) and commented, for people who read it or run keepalived themselves.
/// </summary>
public static class KeepalivedConfig
{
    /// <summary>The vrrp_script's name in the configuration.</summary>
    public const string ScriptName = "webfarm_balancer";

    /// <summary>
    /// How long one check may take before keepalived counts it as failed: longer than curl's own limit (0.9 s, so that
    /// curl reports first, with its reason), with a margin for starting curl on a loaded machine.
    /// </summary>
    public const int ScriptTimeoutSeconds = 2;

    /// <summary>Where curl is looked for when PATH has none (Debian's).</summary>
    public const string DefaultCurl = "/usr/bin/curl";

    /// <param name="settings">The checked options.</param>
    /// <param name="curl">
    /// The absolute path of curl (keepalived's script security wants one). The check is curl and not `webfarm`
    /// itself: measured on this project's 2-core test machine, one `webfarm` check cost 0.20-0.23 s of CPU (the
    /// .NET runtime's start) and 1.0-1.6 s under load, against curl's 0.00 s and 0.03-0.05 s, and it runs every
    /// second on both nodes for as long as they run (docs/vip.md).
    /// </param>
    public static string Render(VipSettings settings, string curl)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(curl);
        if (!curl.StartsWith('/') || curl.AsSpan().IndexOfAny(" \t\"'\\#!") >= 0)
        {
            throw new VipOptionsException([$"--curl '{curl}': give curl's absolute path, without spaces or quotes"]);
        }

        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.Append("# keepalived configuration written by `webfarm vip` for one node of a balancer pair (docs/vip.md).\n");
        s.Append("# Generated from the command's options at every start: change the options, not this file.\n\n");
        s.Append("global_defs {\n");
        s.Append(c, $"    router_id {settings.Name}\n");
        s.Append("    # The check runs as root (keepalived's default user for scripts is keepalived_script, which Debian does not\n");
        s.Append("    # create) and only from a path that no other user can write.\n");
        s.Append("    script_user root\n");
        s.Append("    enable_script_security\n");
        s.Append("}\n\n");

        s.Append("# The local balancer's health endpoint on its admin listener, every second: two failures in a row (a dead or\n");
        s.Append("# frozen balancer, or one shutting down) put this node in FAULT, which gives the address away; two passes\n");
        s.Append("# in a row bring it back as BACKUP.\n");
        s.Append(c, $"vrrp_script {ScriptName} {{\n");
        // -f: a status of 400 or more (503 while the balancer stops) is a failure; no proxy from the environment.
        s.Append(c, $"    script \"{curl} -fsS --noproxy * --max-time 0.9 -o /dev/null {settings.HealthUrl.AbsoluteUri}\"\n");
        s.Append("    interval 1\n");
        s.Append(c, $"    timeout {ScriptTimeoutSeconds}\n");
        s.Append("    fall 2\n");
        s.Append("    rise 2\n");
        s.Append("}\n\n");

        s.Append(c, $"vrrp_instance {settings.Name} {{\n");
        s.Append("    # Both nodes start as BACKUP with nopreempt: the higher priority takes the address when both start, and a\n");
        s.Append("    # node that comes back after a failure stays BACKUP instead of taking the address again (no second move).\n");
        s.Append("    state BACKUP\n");
        s.Append("    nopreempt\n");
        s.Append(c, $"    interface {settings.Interface}\n");
        s.Append(c, $"    virtual_router_id {settings.RouterId}\n");
        s.Append(c, $"    priority {settings.Priority}\n");
        s.Append("    advert_int 1\n");
        s.Append("    # Gratuitous ARP on takeover, repeated once a second later for switches and hosts that missed the first,\n");
        s.Append("    # and refreshed every minute while this node holds the address.\n");
        s.Append("    garp_master_delay 1\n");
        s.Append("    garp_master_repeat 3\n");
        s.Append("    garp_master_refresh 60\n");
        if (settings.Peers.Count > 0)
        {
            s.Append("    # Adverts go to the peer(s) by unicast: multicast does not cross every network.\n");
            s.Append("    unicast_peer {\n");
            foreach (var peer in settings.Peers)
            {
                s.Append(c, $"        {peer}\n");
            }

            s.Append("    }\n");
        }

        if (settings.AuthPass is { } pass)
        {
            s.Append("    authentication {\n");
            s.Append("        auth_type PASS\n");
            s.Append(c, $"        auth_pass {pass}\n");
            s.Append("    }\n");
        }

        s.Append("    virtual_ipaddress {\n");
        foreach (var vip in settings.Addresses)
        {
            s.Append(c, $"        {vip} dev {settings.Interface}\n");
        }

        s.Append("    }\n");
        s.Append("    track_script {\n");
        s.Append(c, $"        {ScriptName}\n");
        s.Append("    }\n");
        s.Append("}\n");
        return s.ToString();
    }
}
