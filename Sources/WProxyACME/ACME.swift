import WProxyTLS
