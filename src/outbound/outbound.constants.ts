/** The @EventPattern that VumiOutboundServer hands decoded outbound messages to. */
export const VUMI_OUTBOUND_PATTERN = 'vumi.outbound';
