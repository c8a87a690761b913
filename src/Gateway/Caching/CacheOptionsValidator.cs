using Microsoft.Extensions.Options;

namespace Gateway.Caching;

[OptionsValidator]
internal sealed partial class CacheOptionsValidator : IValidateOptions<CacheOptions>;
