using System.Net;

namespace WebFarm.Balancer.LoadBalancing;

/// <summary>
/// What a policy that reads the request (<see cref="IRequestReadingPolicy"/>) reads from it: Kestrel's parsed request
/// (<see cref="HttpRequestPolicyView"/>) or the HTTP/1.1 front end's raw head (<c>FrontEnd.ClientPolicyView</c>). Both
/// give the same characters for the same request, so a request gets the same server whichever adapter serves it. A
/// struct implements it, so choosing stays free of allocations and boxing.
/// </summary>
internal interface IPolicyRequest
{
    /// <summary>The client's address (IPv4-mapped IPv6 addresses hash as the IPv4 address: <see cref="ClientAddressHash"/>).</summary>
    IPAddress? RemoteAddress { get; }

    /// <summary>The decoded path.</summary>
    ReadOnlySpan<char> Path { get; }

    /// <summary>The query string as sent, without its '?' (not unescaped).</summary>
    ReadOnlySpan<char> Query { get; }

    /// <summary>How many header lines named <paramref name="name"/> the request has.</summary>
    int HeaderCount(string name);

    /// <summary>
    /// The value of the <paramref name="index"/>th line named <paramref name="name"/>, without surrounding whitespace, its
    /// bytes read as Latin-1 (as Kestrel reads them: BalancerHost). Valid until the next call.
    /// </summary>
    ReadOnlySpan<char> Header(string name, int index);
}
