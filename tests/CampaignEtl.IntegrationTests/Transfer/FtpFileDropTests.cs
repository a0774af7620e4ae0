using System.Security.Cryptography;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.IntegrationTests.Transfer;

/// <summary>The FTP and FTPS (explicit TLS) transport against a real vsftpd.</summary>
public sealed class FtpFileDropTests(VsftpdFixture server) : IClassFixture<VsftpdFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TransferProtocol.Ftp)]
    [InlineData(TransferProtocol.Ftps)]
    public async Task ListAsync_FilesOnTheDrop_ReturnsNamesSizesAndTimesWithoutFolders(TransferProtocol protocol)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        await File.WriteAllTextAsync(Path.Combine(local, "responses 20261124.csv"), "a,b\n1,2\n", Ct);
        await File.WriteAllBytesAsync(Path.Combine(local, "empty.csv"), [], Ct);
        Directory.CreateDirectory(Path.Combine(local, "processed"));
        await server.ChownAsync(local);

        var entries = await Drop(server.Options(protocol, remote)).ListAsync(cancellationToken: Ct);

        entries.Select(e => e.Name).ShouldBe(["empty.csv", "responses 20261124.csv"]);
        entries[1].Size.ShouldBe(8);
        entries[1].Modified.ShouldNotBeNull().ShouldBe(new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(local, "responses 20261124.csv"))), TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData(TransferProtocol.Ftp)]
    [InlineData(TransferProtocol.Ftps)]
    public async Task DownloadAsync_File_TargetHasTheContentAndNoTemporaryRemains(TransferProtocol protocol)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        var content = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(local, "responses.csv"), content, Ct);
        var targetFolder = Path.Combine(server.Folder, "archive-" + Guid.NewGuid().ToString("N"));
        var target = Path.Combine(targetFolder, "responses.csv");

        var downloaded = await Drop(server.Options(protocol, remote)).DownloadAsync("responses.csv", target, Ct);

        downloaded.Length.ShouldBe(content.Length);
        (await File.ReadAllBytesAsync(target, Ct)).ShouldBe(content);
        Directory.GetFiles(targetFolder).ShouldBe([target]);
    }

    [Theory]
    [InlineData(TransferProtocol.Ftp)]
    [InlineData(TransferProtocol.Ftps)]
    public async Task UploadAsync_NewName_AppearsUnderThatNameAndNoTemporaryRemains(TransferProtocol protocol)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        var source = Path.Combine(server.Folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(source, "email\nx@example.com\n", Ct);

        await Drop(server.Options(protocol, remote)).UploadAsync(source, "recipients-1001.csv", Ct);

        Directory.GetFiles(local).Select(Path.GetFileName).ShouldBe(["recipients-1001.csv"]);
        (await File.ReadAllTextAsync(Path.Combine(local, "recipients-1001.csv"), Ct)).ShouldBe("email\nx@example.com\n");
    }

    [Theory]
    [InlineData(TransferProtocol.Ftp)]
    [InlineData(TransferProtocol.Ftps)]
    public async Task UploadAsync_NameExistsOnTheDrop_FailsAndKeepsTheRemoteFile(TransferProtocol protocol)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        await File.WriteAllTextAsync(Path.Combine(local, "recipients-1001.csv"), "earlier", Ct);
        await server.ChownAsync(local);
        var source = Path.Combine(server.Folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(source, "later", Ct);

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(protocol, remote)).UploadAsync(source, "recipients-1001.csv", Ct));

        error.Message.ShouldContain("never overwrite");
        (await File.ReadAllTextAsync(Path.Combine(local, "recipients-1001.csv"), Ct)).ShouldBe("earlier");
        Directory.GetFiles(local).Length.ShouldBe(1);
    }

    [Theory]
    [InlineData(TransferProtocol.Ftp)]
    [InlineData(TransferProtocol.Ftps)]
    public async Task MoveToProcessedAsync_File_MovesIntoTheProcessedFolderAndDeletesNothing(TransferProtocol protocol)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        await File.WriteAllTextAsync(Path.Combine(local, "responses.csv"), "x", Ct);
        await server.ChownAsync(local);
        var fileDrop = Drop(server.Options(protocol, remote));

        await fileDrop.MoveToProcessedAsync("responses.csv", Ct);

        File.Exists(Path.Combine(local, "responses.csv")).ShouldBeFalse();
        (await File.ReadAllTextAsync(Path.Combine(local, "processed", "responses.csv"), Ct)).ShouldBe("x");
        (await fileDrop.ListAsync(cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("file\r\nDELE x.csv")]
    [InlineData("sub\\file.csv")]
    public async Task UploadAsync_BadRemoteName_IsRefusedBeforeConnecting(string name)
    {
        server.SkipIfUnavailable();
        var (local, remote) = await server.NewDropAsync();
        var source = Path.Combine(server.Folder, Guid.NewGuid().ToString("N") + ".csv");
        await File.WriteAllTextAsync(source, "x", Ct);

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(TransferProtocol.Ftp, remote)).UploadAsync(source, name, Ct));

        error.Message.ShouldContain("refused");
        Directory.GetFiles(local).ShouldBeEmpty();
    }

    [Fact]
    public async Task ListAsync_FtpsWithAnotherPinnedCertificate_RefusesToConnect()
    {
        server.SkipIfUnavailable();
        var (_, remote) = await server.NewDropAsync();
        var options = server.Options(TransferProtocol.Ftps, remote);
        options.CertificateThumbprint = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(options).ListAsync(cancellationToken: Ct));

        error.Message.ShouldContain("not the pinned Transfer:CertificateThumbprint");
        error.ToString().ShouldNotContain(options.Password);
    }

    [Fact]
    public async Task ListAsync_FtpsSelfSignedWithoutPin_RefusedByTheSystemStore()
    {
        server.SkipIfUnavailable();
        var (_, remote) = await server.NewDropAsync();
        var options = server.Options(TransferProtocol.Ftps, remote);
        options.CertificateThumbprint = string.Empty;

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(options).ListAsync(cancellationToken: Ct));

        error.Message.ShouldContain("not trusted by the system store");
    }

    [Fact]
    public async Task ListAsync_WrongPassword_FailsWithoutShowingThePassword()
    {
        server.SkipIfUnavailable();
        var (_, remote) = await server.NewDropAsync();
        var options = server.Options(TransferProtocol.Ftps, remote);
        options.Password = "wrong-secret-" + Guid.NewGuid().ToString("N");

        var error = await Should.ThrowAsync<Exception>(() => Drop(options).ListAsync(cancellationToken: Ct));

        error.ToString().ShouldNotContain(options.Password);
    }

    private static IFileDrop Drop(TransferOptions options) => FileDrops.Create(options, TimeProvider.System, NullLoggerFactory.Instance);
}
