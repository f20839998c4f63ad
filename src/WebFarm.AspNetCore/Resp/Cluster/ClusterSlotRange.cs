namespace WebFarm.AspNetCore.Resp.Cluster;

/// <summary>An inclusive range of hash slots, written as Redis does: <c>0-5460</c>.</summary>
public readonly record struct ClusterSlotRange(int Start, int End)
{
    /// <summary>True when <paramref name="slot"/> lies in the range.</summary>
    public bool Contains(int slot) => slot >= Start && slot <= End;

    /// <inheritdoc />
    public override string ToString() => Start == End
        ? Start.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Start}-{End}");
}
