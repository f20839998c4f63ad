namespace WebFarm.Balancer.FrontEnd;

/// <summary>What the front end made of the bytes at the start of a client connection's input.</summary>
internal enum ClientHeadStatus
{
    /// <summary>A whole request head the front end can serve itself.</summary>
    Complete,

    /// <summary>The head is not complete yet: wait for more bytes.</summary>
    Incomplete,

    /// <summary>Anything the front end does not take (or doubts): Kestrel's HTTP stack gets the connection from here on.</summary>
    HandOff,

    /// <summary>
    /// A complete first line that is no HTTP/1.x request line (an HTTP/0.9 "GET /"): refused with 400 at once, where
    /// waiting for the rest of a head that will never come would end in a 408 after the head timeout.
    /// </summary>
    Invalid,
}
