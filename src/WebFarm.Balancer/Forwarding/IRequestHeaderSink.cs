using System.Net;

namespace WebFarm.Balancer.Forwarding;

/// <summary>Where <see cref="RequestHeaderForwarding"/> puts the headers a request takes upstream (a message or raw bytes).</summary>
internal interface IRequestHeaderSink
{
    /// <summary>One header line; the value has no CR, LF or NUL.</summary>
    void Add(string name, string value);

    /// <summary>
    /// X-Forwarded-For: the client's address alone (<paramref name="joined"/> null, so the sink may format it without
    /// a string), or the trusted proxy's list with the client's address appended.
    /// </summary>
    void AddForwardedFor(IPAddress? client, string? joined);
}
