namespace WebFarm.Balancer.FrontEnd;

/// <summary>One header line of a client's request head, as offsets into the head's bytes (value without surrounding whitespace).</summary>
internal readonly record struct HeaderField(int NameStart, int NameLength, int ValueStart, int ValueLength);
