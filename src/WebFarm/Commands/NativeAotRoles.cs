using System.Text.Json;

namespace WebFarm.Commands;

/// <summary>
/// The roles the Native AOT build (build/package.sh --aot) cannot run yet: the controller (and `webfarm up`, which hosts
/// one) still serializes its own types through reflection (WebFarm.Controller's ControllerJson), which Native AOT
/// disables. Such a role refuses at once with this reason instead of failing at its first API call.
/// </summary>
internal static class NativeAotRoles
{
    /// <summary>True (after printing why) when this build cannot run the controller.</summary>
    public static bool RefuseController(string command)
    {
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            return false;
        }

        Console.Error.WriteLine($"{command}: this is the Native AOT build of webfarm, which runs the balancer, state, agent and command-line roles but not the controller yet (docs/packaging.md); run the controller from the single-file or framework-dependent build");
        return true;
    }
}
