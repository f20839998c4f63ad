using System.Globalization;

namespace WebFarm.Balancer.Tls;

/// <summary>
/// Which files of a certificate folder make which certificates: <c>name.pem</c> (or <c>name.crt</c>) with
/// <c>name.key</c> beside it, a <c>name.pem</c> holding both the certificate and the key, or <c>name.pfx</c>
/// (<c>name.p12</c>). Other files (and hidden ones, such as an editor's swap files) are ignored. A key without a
/// certificate, or one name in two forms, is a problem of that name.
/// </summary>
internal static class CertificateFolder
{
    private static readonly string[] PemExtensions = [".pem", ".crt"];
    private static readonly string[] PfxExtensions = [".pfx", ".p12"];

    /// <summary>The certificates the folder's files make (by name), and the problems of files that make none.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static (List<CertificateSource> Sources, List<CertificateProblem> Problems) Scan(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"the certificate folder {folder} does not exist");
        }

        var byName = new SortedDictionary<string, List<FileInfo>>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            var extension = file.Extension.ToLowerInvariant();
            if (file.Name.StartsWith('.') || !(extension == ".key" || Array.IndexOf(PemExtensions, extension) >= 0 || Array.IndexOf(PfxExtensions, extension) >= 0))
            {
                continue;
            }

            var name = Path.GetFileNameWithoutExtension(file.Name);
            if (!byName.TryGetValue(name, out var files))
            {
                byName[name] = files = [];
            }

            files.Add(file);
        }

        var sources = new List<CertificateSource>();
        var problems = new List<CertificateProblem>();
        foreach (var (name, files) in byName)
        {
            var certificates = files.FindAll(f => f.Extension.ToLowerInvariant() != ".key");
            var key = files.Find(f => f.Extension.Equals(".key", StringComparison.OrdinalIgnoreCase));
            if (certificates.Count == 0)
            {
                problems.Add(new CertificateProblem(name, key!.Name, $"{key.Name} has no certificate beside it ({name}.pem or {name}.crt)"));
                continue;
            }

            if (certificates.Count > 1)
            {
                var names = string.Join(" and ", certificates.ConvertAll(f => f.Name));
                problems.Add(new CertificateProblem(name, certificates[0].Name, $"{names} both hold certificate '{name}': keep one"));
                continue;
            }

            var certificate = certificates[0];
            var isPfx = Array.IndexOf(PfxExtensions, certificate.Extension.ToLowerInvariant()) >= 0;
            if (isPfx && key is not null)
            {
                problems.Add(new CertificateProblem(name, key.Name, $"{key.Name} is beside {certificate.Name}, which holds its own key: remove one"));
                continue;
            }

            sources.Add(new CertificateSource(name, certificate.FullName, key?.FullName, isPfx, Stamp(certificate) + (key is null ? string.Empty : "|" + Stamp(key))));
        }

        return (sources, problems);
    }

    /// <summary>The folder's relevant files with their write times and sizes: a change of it means "scan again".</summary>
    public static string FolderStamp(string folder)
    {
        try
        {
            var parts = new List<string>();
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                parts.Add(file.Name + "=" + Stamp(file));
            }

            parts.Sort(StringComparer.Ordinal);
            return string.Join(";", parts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable: " + ex.Message;
        }
    }

    private static string Stamp(FileInfo file)
        => file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture) + ":" + file.Length.ToString(CultureInfo.InvariantCulture);
}
