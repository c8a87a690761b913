# Multi-stage build. Targets: `gateway` (default, last) and `standin` (the Reducto stand-in, for the demo profile).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /repo
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json appsettings.Development.json ./
COPY src/ src/
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -o /out/gateway \
 && dotnet publish src/Reducto.StandIn/Reducto.StandIn.csproj -c Release -o /out/standin

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS standin
WORKDIR /app
COPY --from=build /out/standin ./
USER $APP_UID
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "Reducto.StandIn.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build /out/gateway ./
# The image's built-in unprivileged user: the gateway needs no root and no writable files.
USER $APP_UID
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
ENTRYPOINT ["dotnet", "Gateway.dll"]
