namespace WebFarm.Agent.Trace;

/// <summary>One message of an agent's trace (WFF's trace): an app's output line or an agent event.</summary>
/// <param name="Sequence">Increasing per agent (from 1), so the controller asks only for what it has not seen.</param>
/// <param name="Source">"agent", or the app whose output it is ("hello/stdout").</param>
public sealed record TraceEntry(long Sequence, DateTimeOffset Time, string Source, string Message);
