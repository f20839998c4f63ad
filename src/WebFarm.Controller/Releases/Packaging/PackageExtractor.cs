using System.Formats.Tar;
using System.IO.Compression;
using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>
/// Unpacks a .zip or .tar.gz into an empty directory, refusing (before writing the entry) what would escape it: a
/// name with '..' or an absolute path (zip-slip), a symbolic link whose target leads outside, a hard link to a name
/// outside, a device file or FIFO, and entries over the size limits (counted as bytes arrive, so an archive that
/// lies about a length is refused too). Links that stay inside are created, and <see cref="PackageReader"/> stores them
/// as the files they point to.
/// </summary>
internal static class PackageExtractor
{
    private const int UnixTypeShift = 16;

    public static async Task ExtractZipAsync(string archive, string root, TreeLimits limits, CancellationToken cancellationToken)
    {
        using var zip = Open(archive, () => ZipFile.OpenRead(archive));
        long total = 0;
        var count = 0;
        foreach (var entry in zip.Entries)
        {
            var name = entry.FullName.Replace('\\', '/');
            if (name.EndsWith('/'))
            {
                CheckName(archive, name.TrimEnd('/'));
                continue;
            }

            CheckName(archive, name);
            var type = (entry.ExternalAttributes >> UnixTypeShift) & 0xF000;
            var mode = (entry.ExternalAttributes >> UnixTypeShift) & 0b111_111_111;
            if (type == UnixFileType.SymbolicLink)
            {
                using var reader = new StreamReader(entry.Open());
                CreateLink(archive, root, name, await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
                continue;
            }

            if (type is not (0 or UnixFileType.Regular))
            {
                throw Refused(archive, name, ManifestRules.ModeProblem(type) ?? "not a regular file");
            }

            total += entry.Length;
            ManifestRules.CheckSize(name, entry.Length, total, ++count, limits);
            await using var content = entry.Open();
            await WriteAsync(archive, root, name, content, entry.Length, mode == 0 ? 0b110_100_100 : mode, limits, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task ExtractTarGzAsync(string archive, string root, TreeLimits limits, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(archive);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        long total = 0;
        var count = 0;
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new TreeRefusedException($"{archive}: not a valid .tar.gz ({ex.Message})", ex);
            }

            if (entry is null)
            {
                return;
            }

            var name = entry.Name.Replace('\\', '/');
            if (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }

            name = name.TrimEnd('/');
            if (name.Length == 0)
            {
                continue;
            }

            CheckName(archive, name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    total += entry.Length;
                    ManifestRules.CheckSize(name, entry.Length, total, ++count, limits);
                    await WriteAsync(archive, root, name, entry.DataStream ?? Stream.Null, entry.Length, (int)entry.Mode & 0b111_111_111, limits, cancellationToken).ConfigureAwait(false);
                    break;
                case TarEntryType.SymbolicLink:
                    CreateLink(archive, root, name, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    // A hard link names another entry of the archive: it must be a path inside, written before it.
                    var target = entry.LinkName.StartsWith("./", StringComparison.Ordinal) ? entry.LinkName[2..] : entry.LinkName;
                    var problem = ManifestRules.PathProblem(target);
                    if (problem is not null || !File.Exists(Path.Combine(root, target)))
                    {
                        throw Refused(archive, name, $"a hard link to '{entry.LinkName}', which is not a file earlier in the package ({problem ?? "not found"})");
                    }

                    File.Copy(Path.Combine(root, target), Target(root, name));
                    break;
                case TarEntryType.CharacterDevice:
                    throw Refused(archive, name, "a character device file is not allowed in a release");
                case TarEntryType.BlockDevice:
                    throw Refused(archive, name, "a block device file is not allowed in a release");
                case TarEntryType.Fifo:
                    throw Refused(archive, name, "a FIFO is not allowed in a release");
                default:
                    throw Refused(archive, name, $"tar entry type {entry.EntryType} is not supported (only files, directories and links)");
            }
        }
    }

    private static ZipArchive Open(string archive, Func<ZipArchive> open)
    {
        try
        {
            return open();
        }
        catch (InvalidDataException ex)
        {
            throw new TreeRefusedException($"{archive}: not a valid .zip ({ex.Message})", ex);
        }
    }

    private static void CheckName(string archive, string name)
    {
        if (ManifestRules.PathProblem(name) is { } problem)
        {
            throw Refused(archive, name, problem);
        }
    }

    /// <summary>A link is created only when its target, resolved from the link's own directory, stays inside the tree.</summary>
    private static void CreateLink(string archive, string root, string name, string target)
    {
        if (target.Length == 0 || target[0] == '/' || target.Contains('\\', StringComparison.Ordinal))
        {
            throw Refused(archive, name, $"a symbolic link pointing outside the package (to '{target}')");
        }

        var depth = name.Count(c => c == '/');
        foreach (var segment in target.Split('/'))
        {
            depth += segment switch { ".." => -1, "." or "" => 0, _ => 1 };
            if (depth < 0)
            {
                throw Refused(archive, name, $"a symbolic link pointing outside the package (to '{target}')");
            }
        }

        File.CreateSymbolicLink(Target(root, name), target);
    }

    private static async Task WriteAsync(string archive, string root, string name, Stream content, long declared, int mode, TreeLimits limits, CancellationToken cancellationToken)
    {
        var path = Target(root, name);
        long written = 0;
        var buffer = new byte[81920];
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                written += read;
                if (written > declared || written > limits.MaxFileBytes)
                {
                    throw Refused(archive, name, $"more bytes than the {declared} the archive declares (or over the file size limit of {limits.MaxFileBytes})");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)mode);
        }
    }

    /// <summary>The path of an entry whose name passed the path rule (so it stays under <paramref name="root"/>); its directory is created.</summary>
    private static string Target(string root, string name)
    {
        // Never write through a link the archive made: a link's directory is where a lexical check and the real path
        // part (a link to "." makes "d/d/d" the root itself), and the only way a checked link could lead outside.
        var parent = root;
        var segments = name.Split('/');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            parent = Path.Combine(parent, segments[i]);
            if (new FileInfo(parent).LinkTarget is not null)
            {
                throw new TreeRefusedException($"'{name}': is written through the symbolic link '{string.Join('/', segments[..(i + 1)])}', which is not allowed");
            }
        }

        var path = Path.Combine(root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new TreeRefusedException($"'{name}': appears twice in the package");
        }

        return path;
    }

    private static TreeRefusedException Refused(string archive, string name, string why) => new($"{Path.GetFileName(archive)}: '{name}': {why}");
}
