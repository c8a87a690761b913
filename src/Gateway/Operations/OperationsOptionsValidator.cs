using Microsoft.Extensions.Options;

namespace Gateway.Operations;

[OptionsValidator]
internal sealed partial class OperationsOptionsValidator : IValidateOptions<OperationsOptions>;
