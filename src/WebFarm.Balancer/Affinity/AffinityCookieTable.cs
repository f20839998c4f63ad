using WebFarm.Balancer.Farms;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// The cookie value of each server of one server list (a farm view's), in the list's order, with the length of its
/// name part (base64url(name) before the '.'). Built once per list by <see cref="CookieAffinityProvider"/>, so a
/// lookup reads an array instead of asking the codec's dictionary once per server.
/// </summary>
internal sealed class AffinityCookieTable
{
    private readonly IReadOnlyList<ServerRuntime> _servers;
    private readonly ServerRuntime[] _entries;
    private readonly string[] _values;
    private readonly int[] _nameLengths;

    public AffinityCookieTable(IReadOnlyList<ServerRuntime> servers, AffinityCookieCodec codec)
    {
        _servers = servers;
        _entries = new ServerRuntime[servers.Count];
        _values = new string[servers.Count];
        _nameLengths = new int[servers.Count];
        for (var i = 0; i < servers.Count; i++)
        {
            _entries[i] = servers[i];
            _values[i] = codec.Encode(servers[i].Name);
            _nameLengths[i] = _values[i].IndexOf('.', StringComparison.Ordinal);
        }
    }

    public int Count => _entries.Length;

    /// <summary>
    /// Whether this table was built for <paramref name="servers"/>: the same list holding the same servers (a list
    /// changed in place is noticed too, at one reference comparison per server).
    /// </summary>
    public bool IsFor(IReadOnlyList<ServerRuntime> servers)
    {
        if (!ReferenceEquals(servers, _servers) || servers.Count != _entries.Length)
        {
            return false;
        }

        for (var i = 0; i < _entries.Length; i++)
        {
            if (!ReferenceEquals(servers[i], _entries[i]))
            {
                return false;
            }
        }

        return true;
    }

    public ServerRuntime Server(int index) => _entries[index];

    public string Value(int index) => _values[index];

    /// <summary>The length of the value's name part, '.' excluded.</summary>
    public int NameLength(int index) => _nameLengths[index];
}
