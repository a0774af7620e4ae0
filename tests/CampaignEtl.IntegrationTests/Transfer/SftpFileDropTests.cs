using System.Security.Cryptography;
using CampaignEtl.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace CampaignEtl.IntegrationTests.Transfer;

/// <summary>The SFTP transport against a real OpenSSH sshd.</summary>
public sealed class SftpFileDropTests(SshdFixture server) : IClassFixture<SshdFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListAsync_FilesOnTheDrop_ReturnsNamesSizesAndTimesWithoutFolders()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        await File.WriteAllTextAsync(Path.Combine(drop, "responses-20261124.csv"), "a,b\n1,2\n", Ct);
        await File.WriteAllBytesAsync(Path.Combine(drop, "empty.csv"), [], Ct);
        Directory.CreateDirectory(Path.Combine(drop, "processed"));

        var entries = await Drop(server.Options(drop)).ListAsync(cancellationToken: Ct);

        entries.Select(e => e.Name).ShouldBe(["empty.csv", "responses-20261124.csv"]);
        entries[1].Size.ShouldBe(8);
        entries[1].Modified.ShouldNotBeNull().ShouldBe(new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(drop, "responses-20261124.csv"))), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task DownloadAsync_File_TargetHasTheContentAndNoTemporaryRemains()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        var content = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(drop, "responses.csv"), content, Ct);
        var target = Path.Combine(server.NewDrop(), "archive", "responses.csv");

        var downloaded = await Drop(server.Options(drop)).DownloadAsync("responses.csv", target, Ct);

        downloaded.Length.ShouldBe(content.Length);
        (await File.ReadAllBytesAsync(target, Ct)).ShouldBe(content);
        Directory.GetFiles(Path.GetDirectoryName(target)!).ShouldBe([target]);
    }

    [Fact]
    public async Task DownloadAsync_TargetExists_FailsAndLeavesTheTargetAlone()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        await File.WriteAllTextAsync(Path.Combine(drop, "responses.csv"), "new", Ct);
        var target = Path.Combine(server.NewDrop(), "responses.csv");
        await File.WriteAllTextAsync(target, "archived", Ct);

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(drop)).DownloadAsync("responses.csv", target, Ct));

        error.Message.ShouldContain("never overwrite");
        (await File.ReadAllTextAsync(target, Ct)).ShouldBe("archived");
    }

    [Fact]
    public async Task UploadAsync_NewName_AppearsUnderThatNameAndNoTemporaryRemains()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        var local = Path.Combine(server.NewDrop(), "recipients.csv");
        await File.WriteAllTextAsync(local, "email\nx@example.com\n", Ct);

        await Drop(server.Options(drop)).UploadAsync(local, "recipients-1001.csv", Ct);

        Directory.GetFiles(drop).Select(Path.GetFileName).ShouldBe(["recipients-1001.csv"]);
        (await File.ReadAllTextAsync(Path.Combine(drop, "recipients-1001.csv"), Ct)).ShouldBe("email\nx@example.com\n");
    }

    [Fact]
    public async Task UploadAsync_NameExistsOnTheDrop_FailsAndKeepsTheRemoteFile()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        await File.WriteAllTextAsync(Path.Combine(drop, "recipients-1001.csv"), "earlier", Ct);
        var local = Path.Combine(server.NewDrop(), "recipients.csv");
        await File.WriteAllTextAsync(local, "later", Ct);

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(drop)).UploadAsync(local, "recipients-1001.csv", Ct));

        error.Message.ShouldContain("never overwrite");
        (await File.ReadAllTextAsync(Path.Combine(drop, "recipients-1001.csv"), Ct)).ShouldBe("earlier");
        Directory.GetFiles(drop).Length.ShouldBe(1);
    }

    [Fact]
    public async Task MoveToProcessedAsync_File_MovesIntoTheProcessedFolderAndDeletesNothing()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        await File.WriteAllTextAsync(Path.Combine(drop, "responses.csv"), "x", Ct);
        var fileDrop = Drop(server.Options(drop));

        await fileDrop.MoveToProcessedAsync("responses.csv", Ct);

        File.Exists(Path.Combine(drop, "responses.csv")).ShouldBeFalse();
        (await File.ReadAllTextAsync(Path.Combine(drop, "processed", "responses.csv"), Ct)).ShouldBe("x");
        (await fileDrop.ListAsync(cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task MoveToProcessedAsync_SameNameProcessedBefore_FailsAndKeepsBoth()
    {
        server.SkipIfUnavailable();
        var drop = server.NewDrop();
        Directory.CreateDirectory(Path.Combine(drop, "processed"));
        await File.WriteAllTextAsync(Path.Combine(drop, "processed", "responses.csv"), "first", Ct);
        await File.WriteAllTextAsync(Path.Combine(drop, "responses.csv"), "second", Ct);

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(drop)).MoveToProcessedAsync("responses.csv", Ct));

        error.Message.ShouldContain("never overwritten");
        (await File.ReadAllTextAsync(Path.Combine(drop, "processed", "responses.csv"), Ct)).ShouldBe("first");
        (await File.ReadAllTextAsync(Path.Combine(drop, "responses.csv"), Ct)).ShouldBe("second");
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("..")]
    [InlineData("sub/file.csv")]
    [InlineData("file\r\n.csv")]
    public async Task DownloadAsync_BadRemoteName_IsRefusedBeforeConnecting(string name)
    {
        server.SkipIfUnavailable();
        var target = Path.Combine(server.NewDrop(), "x.csv");

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(server.Options(server.NewDrop())).DownloadAsync(name, target, Ct));

        error.Message.ShouldContain("refused");
        File.Exists(target).ShouldBeFalse();
    }

    [Fact]
    public async Task ListAsync_WrongPinnedHostKey_RefusesToConnect()
    {
        server.SkipIfUnavailable();
        var options = server.Options(server.NewDrop());
        options.HostKeyFingerprint = "SHA256:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=');

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(options).ListAsync(cancellationToken: Ct));

        error.Message.ShouldContain("not the pinned Transfer:HostKeyFingerprint");
        error.Message.ShouldContain(server.HostKeyFingerprint);
    }

    [Fact]
    public async Task ListAsync_RightPinnedHostKey_Connects()
    {
        server.SkipIfUnavailable();
        var options = server.Options(server.NewDrop());
        options.HostKeyFingerprint.ShouldBe(server.HostKeyFingerprint);
        options.PinHostKey.ShouldBeTrue();

        (await Drop(options).ListAsync(cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task ListAsync_PinningSwitchedOff_ConnectsToAnUnknownKey()
    {
        server.SkipIfUnavailable();
        var options = server.Options(server.NewDrop());
        options.HostKeyFingerprint = string.Empty;
        options.PinHostKey = false;

        (await Drop(options).ListAsync(cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task UploadAsync_PasswordLogin_Works()
    {
        server.SkipIfUnavailable();
        if (server.PasswordUser is not { } user)
        {
            Assert.Skip("password login needs the throwaway user, which needs root");
            return;
        }

        var options = server.Options(string.Empty);
        options.User = user.Name;
        options.PrivateKeyPath = string.Empty;
        options.Password = user.Password;
        var local = Path.Combine(server.NewDrop(), "recipients.csv");
        await File.WriteAllTextAsync(local, "x", Ct);
        var name = "recipients-" + Guid.NewGuid().ToString("N") + ".csv";

        await Drop(options).UploadAsync(local, name, Ct);

        File.Exists(Path.Combine(user.Home, name)).ShouldBeTrue();
    }

    [Fact]
    public async Task ListAsync_WrongPassword_FailsWithoutRetryingOrShowingThePassword()
    {
        server.SkipIfUnavailable();
        var options = server.Options(server.NewDrop());
        options.PrivateKeyPath = string.Empty;
        options.Password = "wrong-secret-" + Guid.NewGuid().ToString("N");

        var error = await Should.ThrowAsync<FileDropException>(() => Drop(options).ListAsync(cancellationToken: Ct));

        error.Message.ShouldContain("refused");
        error.ToString().ShouldNotContain(options.Password);
    }

    [Fact]
    public async Task DownloadAsync_ConnectionDroppedMidTransfer_RetriesAndTheTargetIsComplete()
    {
        server.SkipIfUnavailable();
        var (drop, content) = await BigFileAsync(40);
        var targetFolder = server.NewDrop();
        var target = Path.Combine(targetFolder, "responses.csv");

        var download = Drop(server.Options(drop)).DownloadAsync("responses.csv", target, Ct);
        var dropped = await DropWhenPartialAsync(targetFolder, download);

        dropped.ShouldBeTrue("the connection was not dropped mid-transfer (the download finished first)");
        await download;
        SHA256.HashData(await File.ReadAllBytesAsync(target, Ct)).ShouldBe(content);
        Directory.GetFiles(targetFolder).ShouldBe([target]);
    }

    [Fact]
    public async Task DownloadAsync_ConnectionDroppedAndNoAttemptLeft_FailsAndNoFileReachesTheTarget()
    {
        server.SkipIfUnavailable();
        var (drop, _) = await BigFileAsync(40);
        var targetFolder = server.NewDrop();
        var target = Path.Combine(targetFolder, "responses.csv");
        var options = server.Options(drop);
        options.Retry.Attempts = 1;

        var download = Drop(options).DownloadAsync("responses.csv", target, Ct);
        var dropped = await DropWhenPartialAsync(targetFolder, download);

        dropped.ShouldBeTrue("the connection was not dropped mid-transfer (the download finished first)");
        var error = await Should.ThrowAsync<FileDropException>(() => download);
        error.Message.ShouldContain("after 1 attempt");
        File.Exists(target).ShouldBeFalse();
        Directory.GetFiles(targetFolder).ShouldBeEmpty();
    }

    private static IFileDrop Drop(TransferOptions options) => FileDrops.Create(options, TimeProvider.System, NullLoggerFactory.Instance);

    /// <summary>Waits for the temporary download file to hold some bytes, then kills the sshd session serving it.</summary>
    private async Task<bool> DropWhenPartialAsync(string targetFolder, Task download)
    {
        while (!download.IsCompleted)
        {
            var partial = Directory.GetFiles(targetFolder, "*.part").Select(f => new FileInfo(f)).FirstOrDefault(f => f.Exists && f.Length > 1_000_000);
            if (partial is not null)
            {
                return server.DropConnections() > 0;
            }

            await Task.Delay(2, Ct);
        }

        return false;
    }

    private async Task<(string Drop, byte[] Sha256)> BigFileAsync(int megabytes)
    {
        var drop = server.NewDrop();
        var path = Path.Combine(drop, "responses.csv");
        await TransferTestFiles.WriteAsync(path, megabytes * 1024L * 1024, Ct);
        await using var stream = File.OpenRead(path);
        return (drop, await SHA256.HashDataAsync(stream, Ct));
    }
}
