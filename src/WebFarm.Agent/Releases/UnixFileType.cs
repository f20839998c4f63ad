using System.Runtime.InteropServices;

namespace WebFarm.Agent.Releases;

/// <summary>
/// The type bits (S_IFMT) of a path, not following a final symbolic link. .NET tells files, directories and links
/// apart but not devices, FIFOs or sockets, which a package must refuse; statx(2) is used because its struct has
/// one layout on every architecture (stat's differs between x86-64 and arm64).
/// </summary>
public static partial class UnixFileType
{
    public const int Regular = 0x8000;
    public const int Directory = 0x4000;
    public const int SymbolicLink = 0xA000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxBufferBytes = 256;
    private const int StatxModeOffset = 28;

    /// <summary>The S_IFMT bits of <paramref name="path"/> (on Windows: regular file or directory).</summary>
    /// <exception cref="IOException">statx failed (the errno).</exception>
    public static int Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return System.IO.Directory.Exists(path) ? Directory : Regular;
        }

        Span<byte> buffer = stackalloc byte[StatxBufferBytes];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw new IOException($"{path}: statx failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return MemoryMarshal.Read<ushort>(buffer[StatxModeOffset..]) & 0xF000;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
