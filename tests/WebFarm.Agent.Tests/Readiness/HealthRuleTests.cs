using WebFarm.Agent.Readiness;

namespace WebFarm.Agent.Tests.Readiness;

/// <summary>Which check an app gets: the one given, or the one its answer on /healthz chooses.</summary>
public sealed class HealthRuleTests
{
    [Theory]
    [InlineData(200, "/healthz", "GET /healthz answers 2xx/3xx (the app answers GET /healthz with 200)")]
    [InlineData(204, "/healthz", "GET /healthz answers 2xx/3xx (the app answers GET /healthz with 204)")]
    [InlineData(302, "/healthz", "GET /healthz answers 2xx/3xx (the app answers GET /healthz with 302)")]
    [InlineData(500, "/healthz", "GET /healthz answers 2xx/3xx (the app has a /healthz: it answered 500)")]
    [InlineData(503, "/healthz", "GET /healthz answers 2xx/3xx (the app has a /healthz: it answered 503)")]
    [InlineData(404, "/", "GET / answers below 500 (the app has no /healthz: it answered 404)")]
    [InlineData(401, "/", "GET / answers below 500 (the app's /healthz is not a health endpoint: it answered 401)")]
    [InlineData(405, "/", "GET / answers below 500 (the app's /healthz is not a health endpoint: it answered 405)")]
    public void TheAnswerOnHealthz_ChoosesTheCheck(int status, string path, string described)
    {
        var rule = HealthRule.FromHealthzAnswer(status);

        Assert.Equal(path, rule.Path);
        Assert.Equal(described, rule.ToString());
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(302, true)]
    [InlineData(404, true)]
    [InlineData(401, true)]
    [InlineData(499, true)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void WithoutAHealthEndpoint_AnyAnswerBelow500OnTheRootPasses(int status, bool passes)
    {
        var rule = HealthRule.FromHealthzAnswer(404);

        Assert.Equal(passes, rule.ExpectedStatus.Contains(status));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(399, true)]
    [InlineData(404, false)]
    [InlineData(500, false)]
    public void AHealthEndpoint_PassesOn2xxAnd3xxOnly(int status, bool passes)
    {
        Assert.Equal(passes, HealthRule.FromHealthzAnswer(200).ExpectedStatus.Contains(status));
        Assert.Equal(passes, HealthRule.FromHealthzAnswer(503).ExpectedStatus.Contains(status));
        Assert.Equal(passes, HealthRule.ForPath("/ready", "--health-path").ExpectedStatus.Contains(status));
    }

    [Fact]
    public void AGivenPath_IsTheCheck_AndTheBalancerGetsTheSameOne()
    {
        var rule = HealthRule.ForPath("/ready?deep=1", "--health-path");

        Assert.Equal("GET /ready?deep=1 answers 2xx/3xx (set by --health-path)", rule.ToString());
        var check = rule.ToCheckOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), rise: 2, fall: 3);
        Assert.Equal("/ready?deep=1", check.Path);
        Assert.Same(rule.ExpectedStatus, check.ExpectedStatus);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 2, 3), (check.Interval, check.Timeout, check.Rise, check.Fall));
    }

    [Theory]
    [InlineData("ready", "a health path must start with '/', like /healthz")]
    [InlineData("", "a health path must start with '/', like /healthz")]
    [InlineData("http://elsewhere/healthz", "a health path must start with '/', like /healthz")]
    [InlineData("//elsewhere/healthz", "a health path is one path, without spaces or control characters, like /healthz")]
    [InlineData("/health check", "a health path is one path, without spaces or control characters, like /healthz")]
    public void ABadPath_IsRefusedWithTheReason(string path, string reason)
    {
        Assert.Equal(reason, HealthRule.CheckPath(path));
        var error = Assert.Throws<ArgumentException>(() => HealthRule.ForPath(path, "--health-path"));
        Assert.StartsWith($"--health-path {path}: {reason}", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The rule an answer chose, stored in an app definition (path and statuses) and rebuilt by the agents and
    /// the controller's balancer: the same check, whichever part builds it.</summary>
    [Theory]
    [InlineData(404)]
    [InlineData(200)]
    [InlineData(500)]
    public void AChosenRule_RoundTripsThroughAnAppDefinition(int answer)
    {
        var chosen = HealthRule.FromHealthzAnswer(answer);

        var rebuilt = HealthRule.ForPath(chosen.Path, "healthPath", chosen.DefinitionStatus);

        Assert.Equal(chosen.Path, rebuilt.Path);
        Assert.Equal(chosen.ExpectedStatus.ToString(), rebuilt.ExpectedStatus.ToString());
        Assert.Equal(chosen.Description, rebuilt.Description);
    }

    [Fact]
    public void ABadStatusListInADefinition_IsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => HealthRule.ForPath("/", "healthPath", "2xx"));

        Assert.Contains("healthPath status '2xx': \"2xx\" in \"2xx\" is not a status code or range", ex.Message, StringComparison.Ordinal);
    }
}
