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
}
