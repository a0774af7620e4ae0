using CampaignEtl.Platform;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CampaignEtl.Tests.Platform;

public sealed class PlatformOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_NeedOnlyCredentials()
    {
        var result = Validate(new()
        {
            ["Platform:MandatorId"] = "123",
            ["Platform:User"] = "etl-user",
            ["Platform:Password"] = "S3cret-Pa55word",
        });

        result.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryErrorWithKeyAndValueButNotThePassword()
    {
        var result = Validate(new()
        {
            ["Platform:Endpoint"] = "http://api.campaign.episerver.net/soap11/",
            ["Platform:MandatorId"] = "0",
            ["Platform:SessionLifetime"] = "00:25:00",
            ["Platform:MaxConcurrency"] = "41",
            ["Platform:CallBudget"] = "0",
            ["Platform:Timeout"] = "00:00:00",
            ["Platform:MaxReceivedMessageSize"] = "10",
            ["Platform:Retry:Attempts"] = "0",
            ["Platform:Retry:BaseDelay"] = "-00:00:01",
        });

        result.ShouldBe(
        [
            "Platform:Endpoint = 'http://api.campaign.episerver.net/soap11/': plain http is refused except for loopback hosts (127.0.0.0/8, ::1, localhost); use https",
            "Platform:MandatorId = 0: missing or not a positive client id",
            "Platform:User is required",
            "Platform:Password is required",
            "Platform:SessionLifetime = 00:25:00: must be above 00:00:00 and below 00:20:00 (the platform ends sessions 20 minutes after login)",
            "Platform:MaxConcurrency = 41: must be between 1 and 40 (the platform allows 40 connections per client)",
            "Platform:CallBudget = 0: must be at least 1, or absent for no budget",
            "Platform:Timeout = 00:00:00: must be above 00:00:00 and at most 01:00:00",
            "Platform:MaxReceivedMessageSize = 10: must be between 1024 and 2147483647 bytes",
            "Platform:Retry:Attempts = 0: must be between 1 (no retry) and 10",
            "Platform:Retry:BaseDelay = -00:00:01: must be between 00:00:00 and 00:01:00",
        ]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/soap11/")]
    [InlineData("http://127.8.9.10/soap11/")]
    [InlineData("http://localhost/soap11/")]
    [InlineData("http://[::1]:5000/soap11")]
    [InlineData("https://api.campaign.episerver.net/soap11/")]
    public void Validate_HttpsOrLoopbackHttp_IsAccepted(string endpoint)
    {
        Validate(new() { ["Platform:Endpoint"] = endpoint, ["Platform:MandatorId"] = "1", ["Platform:User"] = "u", ["Platform:Password"] = "p" }).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("http://10.0.0.1/soap11/")]
    [InlineData("http://localhost.example.org/soap11/")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("not a uri")]
    public void Validate_OtherEndpoints_AreRefused(string endpoint)
    {
        var result = Validate(new() { ["Platform:Endpoint"] = endpoint, ["Platform:MandatorId"] = "1", ["Platform:User"] = "u", ["Platform:Password"] = "p" });

        result.ShouldHaveSingleItem().ShouldStartWith($"Platform:Endpoint = '{endpoint}': ");
    }

    [Fact]
    public void ToString_NeverShowsThePassword()
    {
        var options = new PlatformOptions { Password = "S3cret-Pa55word", User = "etl-user" };

        options.ToString().ShouldNotContain("S3cret-Pa55word");
        options.ToString().ShouldContain("Password=(secret)");
    }

    [Fact]
    public void AddPlatformClient_BadSection_FailsOnStartNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Platform:MaxConcurrency"] = "99" }).Build();
        using var provider = new ServiceCollection().AddLogging().AddPlatformClient(configuration).BuildServiceProvider();

        var ex = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PlatformOptions>>().Value);

        ex.Failures.ShouldContain("Platform:MaxConcurrency = 99: must be between 1 and 40 (the platform allows 40 connections per client)");
    }

    [Fact]
    public async Task AddPlatformClient_GoodSection_CreatesPerRunClients()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:MandatorId"] = "123",
            ["Platform:User"] = "etl-user",
            ["Platform:Password"] = "S3cret-Pa55word",
            ["Platform:CallBudget"] = "500",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddPlatformClient(configuration).BuildServiceProvider();
        var factory = provider.GetRequiredService<IPlatformClientFactory>();

        await using var first = factory.Create();
        await using var second = factory.Create();

        first.Calls.ShouldNotBeSameAs(second.Calls);
        provider.GetRequiredService<IOptions<PlatformOptions>>().Value.CallBudget.ShouldBe(500);
    }

    private static List<string> Validate(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new PlatformOptions();
        configuration.GetSection(PlatformOptions.Section).Bind(options);
        var result = new PlatformOptionsValidator().Validate(null, options);
        return result.Failures?.ToList() ?? [];
    }
}
