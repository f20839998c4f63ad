namespace WebFarm.AspNetCore.Hosting;

/// <summary>Where sessions, the distributed cache and the Data Protection key ring are kept.</summary>
public enum WebFarmStore
{
    /// <summary>A RESP server: <c>webfarm state</c> (port 42424) or Redis.</summary>
    Resp,

    /// <summary>A PostgreSQL database (durable; tables are created on first use).</summary>
    Postgres,
}
