namespace WebFarm.AspNetCore;
internal static class AssemblyMarker { }
