namespace WebFarm.Balancer.Tests.Infrastructure;

/// <summary>
/// Tests that depend on timeouts or time windows run in this collection, which xunit never runs in parallel
/// with other collections, so that CPU-heavy tests cannot starve their timers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
}
