namespace WebFarm.Balancer.Tls;

/// <summary>
/// The certificates one https listener serves, fixed once built (a rescan builds a new set): SNI name → certificate,
/// exact names first, then a wildcard one label deep ("*.example.com" covers "www.example.com", not "example.com" nor
/// "a.b.example.com", RFC 6125 6.4.3), else the default. When two certificates claim a name, the one valid longest
/// (latest NotAfter) serves it, so a renewed certificate dropped beside the old one takes over.
/// </summary>
internal sealed class CertificateSet
{
    private readonly Dictionary<string, ServerCertificate> _exact;
    private readonly Dictionary<string, ServerCertificate> _wildcard;

    public CertificateSet(IReadOnlyList<ServerCertificate> certificates, ServerCertificate @default)
    {
        Certificates = certificates;
        Default = @default;
        _exact = new Dictionary<string, ServerCertificate>(StringComparer.OrdinalIgnoreCase);
        _wildcard = new Dictionary<string, ServerCertificate>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates)
        {
            foreach (var name in certificate.DnsNames)
            {
                var (map, key) = name.StartsWith("*.", StringComparison.Ordinal) ? (_wildcard, name[2..]) : (_exact, name);
                if (!map.TryGetValue(key, out var other) || other.Certificate.NotAfter < certificate.Certificate.NotAfter)
                {
                    map[key] = certificate;
                }
            }
        }
    }

    /// <summary>Every certificate, by name.</summary>
    public IReadOnlyList<ServerCertificate> Certificates { get; }

    /// <summary>For clients that send no SNI (an IP address) or a name no certificate has.</summary>
    public ServerCertificate Default { get; }

    public ServerCertificate Select(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return Default;
        }

        // SNI host names may end in a dot (fully qualified); certificates never name it.
        var name = serverName[^1] == '.' ? serverName[..^1] : serverName;
        if (_exact.TryGetValue(name, out var exact))
        {
            return exact;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && _wildcard.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name.AsSpan(dot + 1), out var wildcard))
        {
            return wildcard;
        }

        return Default;
    }

    public ServerCertificate? Find(string name)
    {
        foreach (var certificate in Certificates)
        {
            if (certificate.Name == name)
            {
                return certificate;
            }
        }

        return null;
    }
}
