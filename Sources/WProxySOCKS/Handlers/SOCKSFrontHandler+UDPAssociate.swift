import Logging
import NIOCore
import WProxyConfig
import WProxyProtocols

/// UDP ASSOCIATE (SOCKS5 only): open the relay sockets, reply with the client-facing one, then keep the
/// control connection open and watched until it closes, which ends the association (RFC 1928 §7).
extension SOCKSFrontHandler {
    func associate(_ request: SOCKSRequest) {
        guard let context else { return }
        guard let local = context.channel.localAddress?.unmapped, let localIP = local.unmappedIP,
            let clientFacing = localIP.socketAddress(port: 0),
            let clientIP = context.channel.remoteAddress?.unmappedIP
        else {
            return fail(.generalFailure, end: "udp_failed")
        }
        let association = UDPAssociation(
            eventLoop: context.eventLoop, proxy: proxy, clientIP: clientIP,
            clientPort: request.target.port == 0 ? nil : Int(request.target.port))
        association.open(clientFacing: clientFacing).assumeIsolated().whenComplete { result in
            guard self.clientStillWaiting else {
                association.close(end: "client_closed")
                return self.abandoned(nil)
            }
            switch result {
            case .success:
                self.associated(association)
            case .failure(let error):
                self.proxy.logger.debug("UDP ASSOCIATE could not bind: \(error)")
                self.fail(.generalFailure, end: "udp_failed")
            }
        }
    }

    private func associated(_ association: UDPAssociation) {
        guard let context, let bound = association.boundAddress else {
            association.close(end: "error")
            return closeConnection()
        }
        guard case .established(let reply, _) = machine.requestSucceeded(boundAddress: bound.socksTarget) else {
            association.close(end: "error")
            return closeConnection()
        }
        record.noteReply(.succeeded)
        phase = .udp(association)
        association.onClose = { [weak self] outcome in
            guard let self else { return }
            self.record.bytesUp = outcome.bytesUp
            self.record.bytesDown = outcome.bytesDown
            self.finish(end: outcome.end)
            self.closeConnection()
        }
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        if clientSentEOF {
            association.close(end: "closed")
            return
        }
        context.read()
    }
}
