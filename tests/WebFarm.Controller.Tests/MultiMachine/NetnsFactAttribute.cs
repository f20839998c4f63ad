namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>A test that needs network namespaces: skipped, saying why, only when creating one is not permitted here.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (!MachineNetwork.IsPermitted(out var reason))
        {
            Skip = $"network namespaces are not permitted here (run as root, as CI does): {reason}";
        }
    }
}
