using CampaignEtl.Transfer;
using Microsoft.Extensions.Configuration;

namespace CampaignEtl.Tests.Transfer;

public sealed class TransferOptionsValidatorTests
{
    private const string Fingerprint = "SHA256:tDIrT76guJsEsa51vbls3ZtrKoS064DWSdpbfF06cbM";

    [Fact]
    public void Validate_LocalFolder_Succeeds() =>
        Validate(new() { ["Transfer:Protocol"] = "Local", ["Transfer:LocalFolder"] = "/var/drop" }).ShouldBeEmpty();

    [Fact]
    public void Validate_SftpWithPasswordAndPinnedKey_Succeeds() =>
        Validate(new()
        {
            ["Transfer:Protocol"] = "Sftp",
            ["Transfer:Host"] = "sftp.example.com",
            ["Transfer:User"] = "drop",
            ["Transfer:Password"] = "s3cret",
            ["Transfer:HostKeyFingerprint"] = Fingerprint,
            ["Transfer:RemoteFolder"] = "/out",
        }).ShouldBeEmpty();

    [Fact]
    public void Validate_FtpsWithPinnedCertificate_Succeeds() =>
        Validate(new()
        {
            ["Transfer:Protocol"] = "Ftps",
            ["Transfer:Host"] = "ftp.example.com",
            ["Transfer:User"] = "drop",
            ["Transfer:Password"] = "s3cret",
            ["Transfer:CertificateThumbprint"] = string.Join(':', Enumerable.Repeat("AB", 32)),
        }).ShouldBeEmpty();

    [Fact]
    public void Validate_SftpWithoutPinOrCredentials_ReportsEveryErrorWithKeyAndNoSecret()
    {
        var errors = Validate(new()
        {
            ["Transfer:Protocol"] = "Sftp",
            ["Transfer:Port"] = "70000",
            ["Transfer:PrivateKeyPath"] = "/nonexistent/key",
            ["Transfer:PrivateKeyPassphrase"] = "pass-phrase-secret",
            ["Transfer:HostKeyFingerprint"] = "MD5:aa:bb",
            ["Transfer:RemoteFolder"] = "out/../..",
            ["Transfer:ProcessedFolder"] = "",
            ["Transfer:Timeout"] = "00:00:00",
            ["Transfer:Retry:Attempts"] = "0",
        });

        errors.ShouldContain(e => e.StartsWith("Transfer:Host is required", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:User is required", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:Port = 70000", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:PrivateKeyPath = '/nonexistent/key'", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:HostKeyFingerprint = 'MD5:aa:bb'", StringComparison.Ordinal) && e.Contains("PinHostKey", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:RemoteFolder", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:ProcessedFolder is required", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:Timeout", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Transfer:Retry:Attempts = 0", StringComparison.Ordinal));
        errors.ShouldAllBe(e => !e.Contains("pass-phrase-secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SftpPinningSwitchedOff_NeedsNoFingerprint() =>
        Validate(new()
        {
            ["Transfer:Protocol"] = "Sftp",
            ["Transfer:Host"] = "127.0.0.1",
            ["Transfer:User"] = "drop",
            ["Transfer:Password"] = "s3cret",
            ["Transfer:PinHostKey"] = "false",
        }).ShouldBeEmpty();

    [Fact]
    public void Validate_ThumbprintOnPlainFtp_IsRefused() =>
        Validate(new()
        {
            ["Transfer:Protocol"] = "Ftp",
            ["Transfer:Host"] = "127.0.0.1",
            ["Transfer:User"] = "drop",
            ["Transfer:CertificateThumbprint"] = new string('A', 64),
        }).ShouldHaveSingleItem().ShouldContain("Ftps only");

    [Fact]
    public void ToString_WithSecrets_ShowsNone()
    {
        var options = new TransferOptions { Password = "pw-secret", PrivateKeyPassphrase = "pp-secret", User = "drop" };

        var text = options.ToString();

        text.ShouldNotContain("pw-secret");
        text.ShouldNotContain("pp-secret");
        text.ShouldContain("User=drop");
    }

    private static List<string> Validate(Dictionary<string, string?> values)
    {
        var options = new TransferOptions();
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(TransferOptions.Section).Bind(options);
        var result = new TransferOptionsValidator().Validate(null, options);
        return result.Failures?.ToList() ?? [];
    }
}
