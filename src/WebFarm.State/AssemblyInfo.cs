namespace WebFarm.State;
internal static class AssemblyMarker { }
