using System.Runtime.CompilerServices;

namespace WebFarm.Balancer.Forwarding.Http1;

/// <summary>The start and end offsets of <see cref="Http1ResponseLines"/>' dropped runs, inline (no array per response).</summary>
[InlineArray(Length)]
internal struct Http1DroppedRuns
{
    public const int Length = 8;

    private int _element;
}
