using System.Runtime.InteropServices;

namespace WebFarm.Agent.Releases;

/// <summary>
/// Points a symbolic link at a new target in one step: a new link is made beside it and renamed over it with
/// rename(2), which replaces the old link atomically (a reader resolves the old target or the new one, never none).
/// .NET's File.Move follows the link to check its source, so it cannot move a link to a directory.
/// </summary>
public static partial class LinkSwap
{
    public static void Point(string link, string target)
    {
        var directory = Path.GetDirectoryName(link)!;
        var staging = Path.Combine(directory, $"{StagedTree.IncomingPrefix}{Path.GetFileName(link)}-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(staging, target);
        if (!OperatingSystem.IsWindows())
        {
            if (Rename(staging, link) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                File.Delete(staging);
                throw new IOException($"cannot point {link} at {target}: rename failed (errno {errno})");
            }

            return;
        }

        // Windows has no atomic replace of a directory link; the gap is one delete.
        if (Directory.Exists(link))
        {
            Directory.Delete(link);
        }

        Directory.Move(staging, link);
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);
}
