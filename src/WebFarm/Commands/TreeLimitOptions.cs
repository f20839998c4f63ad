using System.Diagnostics.CodeAnalysis;
using WebFarm.Agent.Releases;
using WebFarm.State.Hosting;

namespace WebFarm.Commands;

/// <summary>--max-release-size and --max-file-size (of `controller` and `agent`) as <see cref="TreeLimits"/>, in the state server's size syntax.</summary>
internal static class TreeLimitOptions
{
    public static bool TryParse(string? maxRelease, string? maxFile, [NotNullWhen(true)] out TreeLimits? limits, [NotNullWhen(false)] out string? error)
    {
        limits = null;
        long release = TreeLimits.DefaultMaxPackageBytes;
        long file = TreeLimits.DefaultMaxFileBytes;
        if (maxRelease is not null && !ByteSize.TryParse(maxRelease, out release, out error))
        {
            error = $"--max-release-size {error}";
            return false;
        }

        if (maxFile is not null && !ByteSize.TryParse(maxFile, out file, out error))
        {
            error = $"--max-file-size {error}";
            return false;
        }

        if (file < 1 || release < 1)
        {
            error = "--max-release-size and --max-file-size must be at least 1 byte";
            return false;
        }

        // A file limit above the release limit means nothing; the release limit bounds every file too.
        limits = new TreeLimits { MaxPackageBytes = release, MaxFileBytes = Math.Min(file, release) };
        error = null;
        return true;
    }
}
