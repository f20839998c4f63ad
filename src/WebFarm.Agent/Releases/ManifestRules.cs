namespace WebFarm.Agent.Releases;

/// <summary>
/// The one set of rules every tree passes before any of it is stored or written: on the CLI while packaging, on the
/// controller when a release is created, on the agent before it fetches anything. A tree that breaks one is refused
/// whole, with the entry and the reason.
/// </summary>
public static class ManifestRules
{
    /// <summary>Longest relative path accepted (Linux PATH_MAX is 4096 for the whole path, the tree's root included).</summary>
    public const int MaxPathLength = 1024;

    // Permission bits only: the file type is always "regular file". Set-user/group-ID bits are refused too: a release
    // has no business installing a program that runs as its owner.
    private const int PermissionBits = 0b111_111_111;
    private const int TypeMask = 0xF000;

    /// <exception cref="TreeRefusedException">The first broken rule: which entry, and why.</exception>
    public static void Check(TreeManifest manifest, TreeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(limits);
        if (manifest.Files is null)
        {
            throw new TreeRefusedException("files: is required (a list of {path, size, mode, sha256})");
        }

        var files = new HashSet<string>(StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in manifest.Files)
        {
            if (entry is null)
            {
                throw new TreeRefusedException("files: an entry is null");
            }

            if (PathProblem(entry.Path) is { } problem)
            {
                throw new TreeRefusedException($"'{entry.Path}': {problem}");
            }

            if (ModeProblem(entry.Mode) is { } modeProblem)
            {
                throw new TreeRefusedException($"'{entry.Path}': {modeProblem}");
            }

            total += entry.Size;
            CheckSize(entry.Path, entry.Size, total, files.Count + 1, limits);
            if (!IsSha256(entry.Sha256))
            {
                throw new TreeRefusedException($"'{entry.Path}': sha256 '{entry.Sha256}' is not 64 lowercase hex digits");
            }

            if (!files.Add(entry.Path))
            {
                throw new TreeRefusedException($"'{entry.Path}': listed twice");
            }

            for (var slash = entry.Path.IndexOf('/'); slash >= 0; slash = entry.Path.IndexOf('/', slash + 1))
            {
                directories.Add(entry.Path[..slash]);
            }
        }

        foreach (var directory in directories)
        {
            if (files.Contains(directory))
            {
                throw new TreeRefusedException($"'{directory}': is both a file and the directory of other entries");
            }
        }
    }

    /// <summary>The size limits, for an entry of <paramref name="size"/> bytes that makes the tree <paramref name="total"/> bytes in <paramref name="count"/> files.</summary>
    /// <exception cref="TreeRefusedException">A limit is passed.</exception>
    public static void CheckSize(string path, long size, long total, int count, TreeLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (size < 0)
        {
            throw new TreeRefusedException($"'{path}': size {size} is negative");
        }

        if (size > limits.MaxFileBytes)
        {
            throw new TreeRefusedException($"'{path}': {size} bytes is over the file size limit of {limits.MaxFileBytes} bytes");
        }

        if (total > limits.MaxPackageBytes)
        {
            throw new TreeRefusedException($"the package is over the size limit of {limits.MaxPackageBytes} bytes (at '{path}', {total} bytes so far)");
        }

        if (count > limits.MaxFiles)
        {
            throw new TreeRefusedException($"the package has more than the limit of {limits.MaxFiles} files (at '{path}')");
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be a tree entry (null when it can): it must stay inside the tree.</summary>
    public static string? PathProblem(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "the path is empty";
        }

        if (path.Length > MaxPathLength)
        {
            return $"the path is longer than {MaxPathLength} characters";
        }

        if (path[0] == '/' || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
        {
            return "an absolute path escapes the release directory";
        }

        foreach (var c in path)
        {
            if (c == '\\')
            {
                return "a backslash is not a path separator here ('/' is); refused so that no platform reads it as one";
            }

            if (char.IsControl(c))
            {
                return "the path holds a control character";
            }
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "the path has an empty segment ('//' or a trailing '/')";
            }

            if (segment == "..")
            {
                return "'..' escapes the release directory";
            }

            if (segment == ".")
            {
                return "'.' segments are not allowed (paths are written in one normal form)";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="mode"/> cannot be an entry's mode (null when it can).</summary>
    public static string? ModeProblem(int mode)
    {
        if ((mode & ~PermissionBits) == 0)
        {
            return null;
        }

        return (mode & TypeMask) switch
        {
            0x2000 => "a character device file is not allowed in a release",
            0x6000 => "a block device file is not allowed in a release",
            0x1000 => "a FIFO is not allowed in a release",
            0xC000 => "a socket is not allowed in a release",
            0xA000 => "a symbolic link is not a manifest entry (links inside the tree are stored as the file they point to)",
            0x4000 => "a directory is not a manifest entry (directories follow from the files' paths)",
            _ when (mode & 0xE00) != 0 => $"mode {Convert.ToString(mode, 8)}: set-user-ID, set-group-ID and sticky bits are not allowed",
            _ => $"mode {Convert.ToString(mode, 8)} is not permission bits (0-0777)",
        };
    }

    public static bool IsSha256(string? hash)
    {
        if (hash is not { Length: 64 })
        {
            return false;
        }

        foreach (var c in hash)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
