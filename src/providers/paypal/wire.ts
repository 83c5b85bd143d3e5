/**
 * PayPal's JSON as LeadsCalendar reads and writes it (Orders v2, Payments v2, webhooks): only the
 * fields we use, spelled as PayPal spells them. Nothing outside src/providers/paypal imports these.
 * Statuses are typed as string: PayPal adds values over time, and mapping.ts refuses the unknown
 * ones by name rather than the type system pretending they cannot arrive.
 */

export interface PaypalMoney {
  currency_code: string;
  /** A decimal string ("1.00"), never a number. */
  value: string;
}

export interface PaypalLink {
  href: string;
  rel: string;
  method?: string;
}

export interface ExperienceContext {
  return_url: string;
  cancel_url: string;
  user_action: 'PAY_NOW' | 'CONTINUE';
  shipping_preference: 'NO_SHIPPING' | 'GET_FROM_FILE' | 'SET_PROVIDED_ADDRESS';
  brand_name: string;
}

export interface PurchaseUnitRequest {
  reference_id: string;
  custom_id: string;
  invoice_id: string;
  description: string;
  amount: PaypalMoney;
}

export interface CreateOrderRequest {
  intent: 'CAPTURE' | 'AUTHORIZE';
  purchase_units: PurchaseUnitRequest[];
  payment_source: { paypal: { experience_context: ExperienceContext } };
}

export interface CaptureAuthorizationRequest {
  final_capture: boolean;
}

export interface RefundRequest {
  amount?: PaypalMoney;
  custom_id?: string;
  note_to_payer?: string;
}

export interface StatusDetails {
  reason?: string;
}

export interface Capture {
  id: string;
  status: string;
  status_details?: StatusDetails;
  amount?: PaypalMoney;
  custom_id?: string;
  invoice_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string; authorization_id?: string } };
  links?: PaypalLink[];
  create_time?: string;
  update_time?: string;
}

export interface Authorization {
  id: string;
  status: string;
  status_details?: StatusDetails;
  amount?: PaypalMoney;
  custom_id?: string;
  invoice_id?: string;
  expiration_time?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
  links?: PaypalLink[];
  create_time?: string;
  update_time?: string;
}

export interface Refund {
  id: string;
  status: string;
  amount?: PaypalMoney;
  custom_id?: string;
  note_to_payer?: string;
  links?: PaypalLink[];
  create_time?: string;
  update_time?: string;
}

export interface PaymentCollection {
  authorizations?: Authorization[];
  captures?: Capture[];
  refunds?: Refund[];
}

export interface PurchaseUnit {
  reference_id?: string;
  amount?: PaypalMoney;
  custom_id?: string;
  invoice_id?: string;
  description?: string;
  payments?: PaymentCollection;
}

export interface Order {
  id: string;
  intent?: 'CAPTURE' | 'AUTHORIZE';
  status: string;
  purchase_units?: PurchaseUnit[];
  links?: PaypalLink[];
  create_time?: string;
  update_time?: string;
}

/** PayPal's REST error body (schema `error`). */
export interface ErrorBody {
  name?: string;
  message?: string;
  debug_id?: string;
  details?: { issue?: string; description?: string; field?: string; location?: string }[];
}

/** The OAuth endpoint's own error shape (not the REST one). */
export interface OAuthErrorBody {
  error?: string;
  error_description?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

export interface WebhookEvent {
  id: string;
  event_version?: string;
  create_time?: string;
  resource_type?: string;
  event_type: string;
  summary?: string;
  resource?: Record<string, unknown>;
}
