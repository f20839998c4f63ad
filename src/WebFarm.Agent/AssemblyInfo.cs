namespace WebFarm.Agent;

internal static class AssemblyMarker { }
