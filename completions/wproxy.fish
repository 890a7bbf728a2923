function __wproxy_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __wproxy_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __wproxy_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __wproxy_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __wproxy_parse_tokens -S
    set -l unparsed_tokens (__wproxy_tokens -pc)
    switch $unparsed_tokens[1]
    case 'wproxy'
        __wproxy_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'reverse'
            __wproxy_parse_subcommand 0 'listen=+' 'workers=' 'max-connections=' 'connect-timeout=' 'idle-timeout=' 'upstream-proxy=+' 'drain-timeout=' 'access-log=' 'metrics=' 'log-level=' 'log-format=' 'user=' 'upstream=+' 'lb=' 'hash-key=' 'health-check=' 'health-interval=' 'retries=' 'upstream-timeout=' 'header-timeout=' 'max-header-size=' 'max-uri-size=' 'max-body=' 'static=' 'upstream-host' 'tls-cert=+' 'tls-key=+' 'tls-self-signed' 'acme=+' 'acme-email=' 'acme-directory=' 'acme-ca=' 'acme-storage=' 'redirect-http=' 'h2-max-streams=' 'upstream-ca=' 'upstream-insecure' 'version' 'h/help'
        case 'forward'
            __wproxy_parse_subcommand 0 'listen=+' 'workers=' 'max-connections=' 'connect-timeout=' 'idle-timeout=' 'upstream-proxy=+' 'drain-timeout=' 'access-log=' 'metrics=' 'log-level=' 'log-format=' 'user=' 'auth=+' 'auth-file=' 'allow=+' 'deny-dest=+' 'origin-pool-size=' 'origin-idle-timeout=' 'version' 'h/help'
        case 'socks'
            __wproxy_parse_subcommand 0 'listen=+' 'workers=' 'max-connections=' 'connect-timeout=' 'idle-timeout=' 'upstream-proxy=+' 'drain-timeout=' 'access-log=' 'metrics=' 'log-level=' 'log-format=' 'user=' 'auth=+' 'auth-file=' 'allow=+' 'deny-dest=+' 'handshake-timeout=' 'version' 'h/help'
        case 'transparent'
            __wproxy_parse_subcommand 0 'listen=+' 'workers=' 'max-connections=' 'connect-timeout=' 'idle-timeout=' 'upstream-proxy=+' 'drain-timeout=' 'access-log=' 'metrics=' 'log-level=' 'log-format=' 'user=' 'tproxy' 'sniff' 'print-iptables' 'ports=' 'version' 'h/help'
        case 'tcp'
            __wproxy_parse_subcommand 0 'listen=+' 'workers=' 'max-connections=' 'connect-timeout=' 'idle-timeout=' 'upstream-proxy=+' 'drain-timeout=' 'access-log=' 'metrics=' 'log-level=' 'log-format=' 'user=' 'upstream=+' 'lb=' 'health-check=' 'health-interval=' 'retries=' 'sni=+' 'proxy-protocol=' 'handshake-timeout=' 'version' 'h/help'
        case 'run'
            __wproxy_parse_subcommand 0 'config=' 'watch' 'version' 'h/help'
        case 'check'
            __wproxy_parse_subcommand 0 'config=' 'version' 'h/help'
        case 'help'
            __wproxy_parse_subcommand -r 1 'version'
        end
    end
end

function __wproxy_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __wproxy_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __wproxy_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __wproxy_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__wproxy_tokens -p)
    if test -z "$(__wproxy_tokens -t)"
        set -l index (count (__wproxy_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'wproxy' -f
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'reverse' -d 'HTTP reverse proxy and load balancer, with WebSocket and static files.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'forward' -d 'HTTP forward proxy: absolute-form requests and CONNECT tunnels.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'socks' -d 'SOCKS4, SOCKS4a and SOCKS5 server (CONNECT, BIND, UDP ASSOCIATE).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'transparent' -d 'Transparent TCP proxy behind iptables REDIRECT or TPROXY.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'tcp' -d 'Plain L4 TCP proxy and load balancer, with optional routing by TLS SNI.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'run' -d 'Run any number of listeners of any mode from a TOML config file.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'check' -d 'Validate a config file: exit 0 and a summary if valid, exit 1 with every error (file:line) if not.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_positional "wproxy" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'listen' -d 'Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" workers' -l 'workers' -d 'Event-loop threads (default: number of cores).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" max-connections' -l 'max-connections' -d 'Concurrent client connections; beyond it new ones are closed at once.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" connect-timeout' -l 'connect-timeout' -d 'Time to dial an upstream or destination.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'upstream-proxy' -d 'Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" drain-timeout' -l 'drain-timeout' -d 'On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" access-log' -l 'access-log' -d 'Access log: a file path, - for stdout, or off.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" metrics' -l 'metrics' -d 'Serve Prometheus metrics at http://ADDR/metrics.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" log-level' -l 'log-level' -d 'Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" log-format' -l 'log-format' -d 'Diagnostics and access-log format: text or json.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" user' -l 'user' -d 'After binding every listener, drop to this user and its group, keeping only the capabilities still needed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'upstream' -d 'Upstream http(s)://HOST[:PORT][,weight=N][,backup]. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" lb' -l 'lb' -d 'Balancing policy: round-robin, least-conn, random, p2c, ip-hash, hash.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" hash-key' -l 'hash-key' -d 'Key for --lb hash: header:NAME, cookie:NAME, query:NAME or path.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" health-check' -l 'health-check' -d 'Active health checks: GET PATH on each upstream; 2xx/3xx is healthy.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" health-interval' -l 'health-interval' -d 'Time between health checks.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" retries' -l 'retries' -d 'Other upstreams to try when a connect fails (or, for idempotent requests, on a reset before any response byte).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" upstream-timeout' -l 'upstream-timeout' -d 'Time to wait for an upstream\'s response head; then 504.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" header-timeout' -l 'header-timeout' -d 'Time a client has to send a whole request head; then the connection is closed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" max-header-size' -l 'max-header-size' -d 'Request head (request line included) limit; over it → 431.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" max-uri-size' -l 'max-uri-size' -d 'Request-target limit; over it → 414.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" max-body' -l 'max-body' -d 'Request body limit; over it → 413 (default unlimited).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" static' -l 'static' -d 'Serve files from DIR; with --upstream, existing files are served and everything else is proxied.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" upstream-host' -l 'upstream-host' -d 'Send the upstream\'s host:port as Host instead of the client\'s.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'tls-cert' -d 'PEM certificate chain to serve HTTPS with (pairs with --tls-key; repeatable: chosen by SNI, the first is the default).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'tls-key' -d 'PEM private key (RSA or ECDSA) of the --tls-cert at the same position.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" tls-self-signed' -l 'tls-self-signed' -d 'Serve HTTPS with a certificate generated at start (dev use).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse"' -l 'acme' -d 'Get certificates for DOMAIN automatically (RFC 8555). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" acme-email' -l 'acme-email' -d 'Contact address for the ACME account.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" acme-directory' -l 'acme-directory' -d 'ACME directory URL (default: Let\'s Encrypt).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" acme-ca' -l 'acme-ca' -d 'PEM roots to trust for the ACME directory\'s HTTPS (a test CA).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" acme-storage' -l 'acme-storage' -d 'Where ACME keys and certificates are kept.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" redirect-http' -l 'redirect-http' -d 'Plain-HTTP listener that answers ACME HTTP-01 challenges and redirects everything else to HTTPS (308).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" h2-max-streams' -l 'h2-max-streams' -d 'HTTP/2 concurrent streams per connection.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" upstream-ca' -l 'upstream-ca' -d 'PEM roots to trust for https:// upstreams (default: the system store).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" upstream-insecure' -l 'upstream-insecure' -d 'Do not verify the certificates of https:// upstreams (dev use).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy reverse" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward"' -l 'listen' -d 'Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" workers' -l 'workers' -d 'Event-loop threads (default: number of cores).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" max-connections' -l 'max-connections' -d 'Concurrent client connections; beyond it new ones are closed at once.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" connect-timeout' -l 'connect-timeout' -d 'Time to dial an upstream or destination.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward"' -l 'upstream-proxy' -d 'Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" drain-timeout' -l 'drain-timeout' -d 'On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" access-log' -l 'access-log' -d 'Access log: a file path, - for stdout, or off.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" metrics' -l 'metrics' -d 'Serve Prometheus metrics at http://ADDR/metrics.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" log-level' -l 'log-level' -d 'Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" log-format' -l 'log-format' -d 'Diagnostics and access-log format: text or json.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" user' -l 'user' -d 'After binding every listener, drop to this user and its group, keeping only the capabilities still needed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward"' -l 'auth' -d 'Require Proxy-Authorization: Basic with this USER:PASS (missing or wrong: 407). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" auth-file' -l 'auth-file' -d 'Read more credentials from FILE: one user:password per line; # comments and blank lines are skipped.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward"' -l 'allow' -d 'Only clients in this network may use the proxy (others get 403). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward"' -l 'deny-dest' -d 'Refuse destinations (403) in this network, or with this host name (exact or *.domain). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" origin-pool-size' -l 'origin-pool-size' -d 'Idle keep-alive connections kept per origin and worker for reuse across clients (0: no reuse).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" origin-idle-timeout' -l 'origin-idle-timeout' -d 'Close a pooled origin connection idle for this long.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy forward" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks"' -l 'listen' -d 'Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" workers' -l 'workers' -d 'Event-loop threads (default: number of cores).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" max-connections' -l 'max-connections' -d 'Concurrent client connections; beyond it new ones are closed at once.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" connect-timeout' -l 'connect-timeout' -d 'Time to dial an upstream or destination.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks"' -l 'upstream-proxy' -d 'Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" drain-timeout' -l 'drain-timeout' -d 'On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" access-log' -l 'access-log' -d 'Access log: a file path, - for stdout, or off.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" metrics' -l 'metrics' -d 'Serve Prometheus metrics at http://ADDR/metrics.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" log-level' -l 'log-level' -d 'Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" log-format' -l 'log-format' -d 'Diagnostics and access-log format: text or json.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" user' -l 'user' -d 'After binding every listener, drop to this user and its group, keeping only the capabilities still needed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks"' -l 'auth' -d 'Require SOCKS5 user/password authentication (RFC 1929) with this USER:PASS; SOCKS4 is then refused. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" auth-file' -l 'auth-file' -d 'Read more credentials from FILE: one user:password per line; # comments and blank lines are skipped.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks"' -l 'allow' -d 'Only clients in this network may use the proxy (others get reply 0x02 / 0x5B). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks"' -l 'deny-dest' -d 'Refuse destinations in this network, or with this host name (exact or *.domain). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" handshake-timeout' -l 'handshake-timeout' -d 'Close a client that has not sent its whole request within this time.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy socks" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent"' -l 'listen' -d 'Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" workers' -l 'workers' -d 'Event-loop threads (default: number of cores).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" max-connections' -l 'max-connections' -d 'Concurrent client connections; beyond it new ones are closed at once.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" connect-timeout' -l 'connect-timeout' -d 'Time to dial an upstream or destination.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent"' -l 'upstream-proxy' -d 'Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" drain-timeout' -l 'drain-timeout' -d 'On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" access-log' -l 'access-log' -d 'Access log: a file path, - for stdout, or off.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" metrics' -l 'metrics' -d 'Serve Prometheus metrics at http://ADDR/metrics.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" log-level' -l 'log-level' -d 'Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" log-format' -l 'log-format' -d 'Diagnostics and access-log format: text or json.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" user' -l 'user' -d 'After binding every listener, drop to this user and its group, keeping only the capabilities still needed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" tproxy' -l 'tproxy' -d 'Accept TPROXY traffic (IP_TRANSPARENT listener; needs CAP_NET_ADMIN, which --user keeps).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" sniff' -l 'sniff' -d 'Name the HTTP Host or TLS SNI of each connection in the access log (the stream is not delayed or altered).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" print-iptables' -l 'print-iptables' -d 'Print the iptables rules for --ports and exit; nothing is changed or bound.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" ports' -l 'ports' -d 'With --print-iptables: destination ports to divert, e.g. 80,443,8000-8100.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy transparent" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp"' -l 'listen' -d 'Address to listen on: PORT, :PORT (every interface), HOST:PORT or [V6]:PORT. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" workers' -l 'workers' -d 'Event-loop threads (default: number of cores).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" max-connections' -l 'max-connections' -d 'Concurrent client connections; beyond it new ones are closed at once.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" connect-timeout' -l 'connect-timeout' -d 'Time to dial an upstream or destination.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no bytes either way for this long (default 300s tunnels, 60s HTTP keep-alive).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp"' -l 'upstream-proxy' -d 'Dial every destination through this proxy: http://, socks5://, socks4:// or socks4a://, with optional user:pass@. Repeatable: hops in order form a chain.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" drain-timeout' -l 'drain-timeout' -d 'On SIGTERM/SIGINT, how long in-flight requests and tunnels may finish.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" access-log' -l 'access-log' -d 'Access log: a file path, - for stdout, or off.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" metrics' -l 'metrics' -d 'Serve Prometheus metrics at http://ADDR/metrics.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" log-level' -l 'log-level' -d 'Diagnostics level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" log-format' -l 'log-format' -d 'Diagnostics and access-log format: text or json.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" user' -l 'user' -d 'After binding every listener, drop to this user and its group, keeping only the capabilities still needed.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp"' -l 'upstream' -d 'Upstream HOST:PORT[,weight=N][,backup]. Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" lb' -l 'lb' -d 'Balancing policy: round-robin, least-conn, random, p2c, ip-hash.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" health-check' -l 'health-check' -d 'Active health checks: tcp (a TCP connect).' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" health-interval' -l 'health-interval' -d 'Time between health checks.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" retries' -l 'retries' -d 'Other upstreams to try when a connect fails.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp"' -l 'sni' -d 'Route TLS by SNI without terminating it: HOST=UPSTREAM (HOST may be *.domain). Repeatable.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" proxy-protocol' -l 'proxy-protocol' -d 'Send a PROXY protocol header upstream: v1 or v2.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" handshake-timeout' -l 'handshake-timeout' -d 'With --sni, how long a client has to send its TLS ClientHello.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy tcp" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy run" config' -l 'config' -d 'The TOML config file.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy run" watch' -l 'watch' -d 'Also reload when the file changes (checked every second).'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy run" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy check" config' -l 'config' -d 'The TOML config file.' -rfka ''
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy check" version' -l 'version' -d 'Show the version.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'wproxy' -n '__wproxy_should_offer_completions_for_flags_or_options "wproxy help" version' -l 'version' -d 'Show the version.'
