using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Gateway.Hosting;

/// <summary>Gives Kestrel's transport (and anything else of Kestrel's that asks) a <see cref="PipeBlockPool"/>.</summary>
internal sealed class PipeBlockPoolFactory(IOptions<ServerOptions> options) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? poolOptions = null) => new PipeBlockPool(options.Value.PipeBlockBytes);
}
