namespace WebFarm.Packaging.Tests.Infrastructure;

/// <summary>The tests that read the artifacts of one <see cref="PackageBuild"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackageBuild>
{
    public const string Name = "packaging";
}
