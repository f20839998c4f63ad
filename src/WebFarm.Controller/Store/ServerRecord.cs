using WebFarm.Agent.Control;

namespace WebFarm.Controller.Store;

/// <summary>A joined server as stored: its agent's identity is the SHA-256 of the credential it was given.</summary>
public sealed record ServerRecord(
    string Name,
    string Address,
    byte[] CredentialHash,
    DateTimeOffset JoinedAt,
    DateTimeOffset? LastHeartbeat,
    ServerLoad? Load,
    IReadOnlyDictionary<string, string>? Labels = null);
