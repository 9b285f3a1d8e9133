using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DurableMigration.AzureEmulators;

/// <summary>
/// A Kestrel server on a free loopback port over HTTPS with a self-signed certificate (for 127.0.0.1 and localhost,
/// valid a week), for the emulators of Azure services: Azure.Core sends bearer tokens over HTTPS only. Clients trust
/// exactly that certificate (<see cref="CreateHandler"/>, <see cref="CreateTransport"/>, or the PEM file for Python).
/// </summary>
public sealed class LoopbackHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHttpsServer(WebApplication app, X509Certificate2 certificate, Uri endpoint)
    {
        _app = app;
        Certificate = certificate;
        Endpoint = endpoint;
    }

    /// <summary>Gets the server's base address, <c>https://127.0.0.1:{port}/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Gets the self-signed certificate the server presents.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Starts a server named <paramref name="name"/> (the certificate's subject) that answers every request with <paramref name="handler"/>.</summary>
    /// <param name="name">The server's name, for its certificate.</param>
    /// <param name="handler">Answers every request.</param>
    /// <param name="maxRequestBodySize">The largest request body Kestrel reads; its default (about 28 MB) when <c>null</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<LoopbackHttpsServer> StartAsync(string name, RequestDelegate handler, long? maxRequestBodySize = null, CancellationToken cancellationToken = default)
    {
        X509Certificate2 certificate = CreateCertificate(name);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (maxRequestBodySize is { } limit)
            {
                kestrel.Limits.MaxRequestBodySize = limit;
            }

            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
        });
        WebApplication app = builder.Build();
        app.Run(handler);
        await app.StartAsync(cancellationToken);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackHttpsServer(app, certificate, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A credential handing out <paramref name="token"/> as a bearer token, valid an hour from each request.</summary>
    public static TokenCredential StaticCredential(string token) => new StaticTokenCredential(token);

    /// <summary>An HTTP handler that trusts this server's certificate (and nothing else).</summary>
    public HttpClientHandler CreateHandler()
    {
        string thumbprint = Certificate.Thumbprint;
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(certificate.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>An Azure.Core transport that trusts this server's certificate (and nothing else), for <c>ClientOptions.Transport</c>.</summary>
    public HttpClientTransport CreateTransport() => new(CreateHandler());

    /// <summary>Writes the certificate as PEM, for clients that read a CA bundle (Python's <c>connection_verify</c>).</summary>
    public void WriteCertificatePem(string path) => File.WriteAllText(path, Certificate.ExportCertificatePem() + "\n");

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }

    private static X509Certificate2 CreateCertificate(string subject)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Kestrel needs the key in a form it can use: a PKCS#12 round trip gives it one on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
