using System.Diagnostics;
using WebFarm.Agent.Releases;

namespace WebFarm.Controller.Releases.Packaging;

/// <summary>
/// Reads what `webfarm deploy` and `webfarm content push` are given: a folder, a .zip, a .tar.gz (.tgz) or a .csproj
/// (published with `dotnet publish -c Release` first). Every file becomes a manifest entry (path, size, permission
/// bits, SHA-256). A symbolic link inside the tree is stored as the file it points to; one pointing outside, a link
/// to a directory, a device file, a FIFO or a socket is refused, naming the entry, before anything is uploaded.
/// </summary>
public static class PackageReader
{
    /// <exception cref="TreeRefusedException">The path is not a supported package, or an entry breaks a rule or a limit.</exception>
    public static async Task<LocalPackage> ReadAsync(string path, TreeLimits limits, TextWriter? publishLog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return await ScanAsync(full, limits, temporaryDirectory: null, cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(full))
        {
            throw new TreeRefusedException($"{path}: no such file or folder");
        }

        var temporary = Directory.CreateTempSubdirectory("webfarm-package-").FullName;
        try
        {
            var root = Path.Combine(temporary, "tree");
            Directory.CreateDirectory(root);
            var name = Path.GetFileName(full);
            if (name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                await PackageExtractor.ExtractZipAsync(full, root, limits, cancellationToken).ConfigureAwait(false);
            }
            else if (name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
            {
                await PackageExtractor.ExtractTarGzAsync(full, root, limits, cancellationToken).ConfigureAwait(false);
            }
            else if (name.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
            {
                await PublishAsync(full, root, publishLog, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                throw new TreeRefusedException($"{path}: not a folder, .zip, .tar.gz or .csproj");
            }

            return await ScanAsync(root, limits, temporary, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    private static async Task<LocalPackage> ScanAsync(string root, TreeLimits limits, string? temporaryDirectory, CancellationToken cancellationToken)
    {
        var files = new List<ManifestEntry>();
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(root);
        long total = 0;
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var path in Directory.EnumerateFileSystemEntries(directory))
            {
                var relative = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
                var source = path;
                var type = UnixFileType.Of(path);
                if (type == UnixFileType.Directory)
                {
                    pending.Push(path);
                    continue;
                }

                if (type == UnixFileType.SymbolicLink)
                {
                    source = InsideTarget(root, path, relative);
                    type = UnixFileType.Of(source);
                }

                if (type != UnixFileType.Regular)
                {
                    throw new TreeRefusedException($"'{relative}': {ManifestRules.ModeProblem(type) ?? "not a regular file"}");
                }

                var size = new FileInfo(source).Length;
                total += size;
                ManifestRules.CheckSize(relative, size, total, files.Count + 1, limits);
                var mode = OperatingSystem.IsWindows() ? 0b110_100_100 : (int)File.GetUnixFileMode(source) & 0b111_111_111;
                var sha256 = await BlobStore.HashFileAsync(source, cancellationToken).ConfigureAwait(false);
                files.Add(new ManifestEntry(relative, size, mode, sha256));
                sources.TryAdd(sha256, source);
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var manifest = new TreeManifest(files);
        ManifestRules.Check(manifest, limits);
        return new LocalPackage(manifest, sources, temporaryDirectory);
    }

    /// <summary>The file a link inside the tree points to; refused when it leads outside the tree or to a directory.</summary>
    private static string InsideTarget(string root, string link, string relative)
    {
        var target = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true);
        if (target is null || !target.Exists && !Directory.Exists(target.FullName))
        {
            throw new TreeRefusedException($"'{relative}': a symbolic link to {new FileInfo(link).LinkTarget}, which does not exist");
        }

        var rootWithSlash = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        if (!target.FullName.StartsWith(rootWithSlash, StringComparison.Ordinal))
        {
            throw new TreeRefusedException($"'{relative}': a symbolic link pointing outside the package (to {target.FullName})");
        }

        if (Directory.Exists(target.FullName))
        {
            throw new TreeRefusedException($"'{relative}': a symbolic link to a directory; links are stored as the file they point to, so only links to files are allowed");
        }

        return target.FullName;
    }

    private static async Task PublishAsync(string project, string output, TextWriter? log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["publish", project, "-c", "Release", "-o", output, "--nologo"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new TreeRefusedException($"{project}: could not start `dotnet publish`");
        var lines = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                log?.WriteLine(line);
                lines.Enqueue(line);
                if (lines.Count > 20)
                {
                    lines.Dequeue();
                }
            }
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new TreeRefusedException($"{project}: `dotnet publish -c Release` failed (exit code {process.ExitCode}):{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        }
    }
}
