using System.Globalization;
using WebFarm.Balancer.Configuration;

namespace WebFarm.Agent.Readiness;

/// <summary>
/// Which request says that an instance of an app serves: one rule for the start-up wait and for the balancer's
/// active checks, so that an instance the wait let in is not then shown unhealthy by the balancer (issue 20).
/// <list type="bullet">
/// <item>A health path given by the user (`webfarm up --health-path`, an app definition): GET it, 2xx/3xx pass.</item>
/// <item>Otherwise the app's answer to GET /healthz decides: 2xx/3xx, the app has a health endpoint and it is the
/// check; 5xx, it has one that says it is failing (a store it cannot reach, a drain), which is its own verdict and is
/// kept as the check; anything else (404, 401, 405…), it has no usable one, and the check becomes "accepts
/// connections and answers GET / with a status below 500": a 404 or a login redirect on / is still an app that
/// serves, while a 5xx or no answer is not.</item>
/// </list>
/// Immutable; a future controller's app definitions reuse it as is.
/// </summary>
public sealed class HealthRule
{
    /// <summary>The conventional health path (the member library's), probed when none is given.</summary>
    public const string ConventionalPath = "/healthz";

    private HealthRule(string path, StatusCodeSet expectedStatus, string description, string why)
    {
        Path = path;
        ExpectedStatus = expectedStatus;
        Description = description;
        Why = why;
    }

    /// <summary>What a health endpoint must answer: 2xx or 3xx (redirects are judged as such, not followed).</summary>
    public static StatusCodeSet Success { get; } = StatusCodeSet.Parse("200-399");

    /// <summary>What GET / must answer when the app has no health endpoint: anything but a server error.</summary>
    public static StatusCodeSet BelowServerError { get; } = StatusCodeSet.Parse("200-499");

    /// <summary>The path requested, e.g. "/healthz" or "/".</summary>
    public string Path { get; }

    /// <summary>The statuses that pass.</summary>
    public StatusCodeSet ExpectedStatus { get; }

    /// <summary>The check in words: "GET /healthz answers 2xx/3xx".</summary>
    public string Description { get; }

    /// <summary>Why this check: "set by --health-path", "the app has no /healthz: it answered 404".</summary>
    public string Why { get; }

    /// <summary>The check the user chose: GET <paramref name="path"/>, 2xx/3xx pass.</summary>
    /// <param name="source">Where the path came from, for the explanation ("--health-path").</param>
    /// <exception cref="ArgumentException">The path is not a request path (see <see cref="CheckPath"/>).</exception>
    public static HealthRule ForPath(string path, string source)
    {
        if (CheckPath(path) is { } problem)
        {
            throw new ArgumentException($"{source} {path}: {problem}", nameof(path));
        }

        return new HealthRule(path, Success, $"GET {path} answers 2xx/3xx", $"set by {source}");
    }

    /// <summary>
    /// The check an app definition states (the controller's balancer and the agent's health gate both build it here):
    /// GET <paramref name="path"/>, passing <paramref name="expectedStatus"/> (a status list like "200-499"; null:
    /// 2xx/3xx, as <see cref="ForPath(string, string)"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The path is not a request path, or the status list is not one.</exception>
    public static HealthRule ForPath(string path, string source, string? expectedStatus)
    {
        var rule = ForPath(path, source);
        if (expectedStatus is null)
        {
            return rule;
        }

        if (!StatusCodeSet.TryParse(expectedStatus, out var expected, out var problem))
        {
            throw new ArgumentException($"{source} status '{expectedStatus}': {problem}", nameof(expectedStatus));
        }

        if (expected.ToString() == Success.ToString())
        {
            return rule;
        }

        var words = expected.ToString() == BelowServerError.ToString() ? "below 500" : expected.ToString();
        return new HealthRule(path, expected, $"GET {path} answers {words}", $"set by {source}");
    }

    /// <summary>The passing statuses as an app definition states them: null for 2xx/3xx (the default), else the list.</summary>
    public string? DefinitionStatus => ExpectedStatus.ToString() == Success.ToString() ? null : ExpectedStatus.ToString();

    /// <summary>The check an app's answer to GET <see cref="ConventionalPath"/> chooses (see the type's summary).</summary>
    public static HealthRule FromHealthzAnswer(int status)
    {
        var code = status.ToString(CultureInfo.InvariantCulture);
        if (Success.Contains(status))
        {
            return new HealthRule(ConventionalPath, Success, $"GET {ConventionalPath} answers 2xx/3xx", $"the app answers GET {ConventionalPath} with {code}");
        }

        if (status is >= 500 and <= 599)
        {
            return new HealthRule(ConventionalPath, Success, $"GET {ConventionalPath} answers 2xx/3xx", $"the app has a {ConventionalPath}: it answered {code}");
        }

        var why = status is 404 or 410
            ? $"the app has no {ConventionalPath}: it answered {code}"
            : $"the app's {ConventionalPath} is not a health endpoint: it answered {code}";
        return new HealthRule("/", BelowServerError, "GET / answers below 500", why);
    }

    /// <summary>Null when <paramref name="path"/> can be requested as a health path, else why not.</summary>
    public static string? CheckPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return "a health path must start with '/', like /healthz";
        }

        if (path.StartsWith("//", StringComparison.Ordinal) || path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "a health path is one path, without spaces or control characters, like /healthz";
        }

        return Uri.TryCreate(new Uri("http://127.0.0.1/"), path, out var uri) && uri.Host == "127.0.0.1"
            ? null
            : "not a valid request path";
    }

    /// <summary>The balancer's active check for this rule (what `webfarm servers list` and the admin API then show).</summary>
    public HealthCheckOptions ToCheckOptions(TimeSpan interval, TimeSpan timeout, int rise, int fall)
        => new() { Path = Path, ExpectedStatus = ExpectedStatus, Interval = interval, Timeout = timeout, Rise = rise, Fall = fall };

    /// <summary>"GET / answers below 500 (the app has no /healthz: it answered 404)".</summary>
    public override string ToString() => $"{Description} ({Why})";
}
