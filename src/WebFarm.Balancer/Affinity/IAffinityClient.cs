using System.Net;

namespace WebFarm.Balancer.Affinity;

/// <summary>
/// What an affinity provider needs from a client, whichever way the request was read (Kestrel's request or the
/// front end's raw head): the client's address, the scheme, one cookie's value, and a place for the Set-Cookie line.
/// The providers keep every rule (validation of the cookie's MAC, binding, failure policy); a client only reads and
/// writes bytes.
/// </summary>
public interface IAffinityClient
{
    /// <summary>The client's address (IPv4-mapped addresses as IPv4), or null when unknown.</summary>
    IPAddress? RemoteAddress { get; }

    /// <summary>True when the client spoke TLS to the balancer (the affinity cookie is then Secure).</summary>
    bool IsHttps { get; }

    /// <summary>
    /// Copies the value of the request's cookie <paramref name="name"/> (surrounding quotes removed) into
    /// <paramref name="destination"/>. Returns its length, or -1 when the request has no such cookie or the value is
    /// longer than <paramref name="destination"/>.
    /// </summary>
    int CopyCookie(string name, Span<char> destination);

    /// <summary>Adds <paramref name="setCookie"/> (a whole Set-Cookie value) to the response, replacing one this request set before.</summary>
    void SetAffinityCookie(string setCookie);
}
